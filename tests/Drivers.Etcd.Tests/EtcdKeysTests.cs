using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>The range arithmetic of etcd's API (clientv3.GetPrefixRangeEnd's rules), in process.</summary>
public sealed class EtcdKeysTests
{
    [Theory]
    [InlineData(new byte[] { 0x61 }, new byte[] { 0x62 })]                 // "a" -> "b"
    [InlineData(new byte[] { 0x61, 0xff }, new byte[] { 0x62 })]           // a trailing 0xff carries
    [InlineData(new byte[] { 0xff, 0xff }, new byte[] { 0 })]              // no end: to the end of the key space
    [InlineData(new byte[] { }, new byte[] { 0 })]
    public void Prefix_end_is_the_first_key_past_the_prefix(byte[] prefix, byte[] end) =>
        Assert.Equal(end, EtcdKeys.PrefixEnd(prefix));

    [Fact]
    public void In_range_follows_the_half_open_interval_and_an_exact_key()
    {
        var start = EtcdKeys.Bytes("jobs/");
        var end = EtcdKeys.PrefixEnd(start);
        Assert.True(EtcdKeys.InRange(EtcdKeys.Bytes("jobs/1"), start, end));
        Assert.False(EtcdKeys.InRange(EtcdKeys.Bytes("jobs0"), start, end));
        Assert.False(EtcdKeys.InRange(EtcdKeys.Bytes("failed/jobs/1"), start, end));
        Assert.True(EtcdKeys.InRange(EtcdKeys.Bytes("anything"), [0], [0]));
        Assert.True(EtcdKeys.InRange(EtcdKeys.Bytes("k"), EtcdKeys.Bytes("k"), null));
        Assert.False(EtcdKeys.InRange(EtcdKeys.Bytes("k2"), EtcdKeys.Bytes("k"), null));
    }
}
