using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Payload.ReadAllBytesAsync: byte-exact whatever the stream tells of its length.</summary>
public sealed class PayloadBytesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A stream that hides its length and hands out at most a few bytes per read, like a pipe.</summary>
    internal sealed class PipeLikeStream(byte[] bytes) : MemoryStream(bytes, writable: false)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 65_536 + 7)], cancellationToken);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_536)]
    [InlineData(PayloadBytes.InMemoryLimit - 1)]
    [InlineData(PayloadBytes.InMemoryLimit)]
    [InlineData(PayloadBytes.InMemoryLimit + 1)] // spooled to a temporary file and read back
    [InlineData(3 * PayloadBytes.InMemoryLimit + 12_345)]
    public async Task A_stream_of_unknown_length_is_read_byte_exact(int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        await using var payload = Payload.FromStream(new PipeLikeStream(bytes));
        Assert.Equal(bytes, await payload.ReadAllBytesAsync(Ct));
    }

    [Fact]
    public async Task A_known_length_is_read_into_one_array_byte_exact()
    {
        var bytes = RandomNumberGenerator.GetBytes(1_000_003);
        await using var payload = Payload.FromStream(new PipeLikeStream(bytes), bytes.Length);
        Assert.Equal(bytes, await payload.ReadAllBytesAsync(Ct));
    }

    [Fact]
    public async Task A_stream_longer_than_its_stated_length_is_read_to_its_end()
    {
        var bytes = RandomNumberGenerator.GetBytes(PayloadBytes.InMemoryLimit + 5);
        await using var payload = Payload.FromStream(new PipeLikeStream(bytes), 1000);
        Assert.Equal(bytes, await payload.ReadAllBytesAsync(Ct));
    }

    [Fact]
    public async Task A_stream_shorter_than_its_stated_length_gives_what_it_has()
    {
        var bytes = RandomNumberGenerator.GetBytes(777);
        await using var payload = Payload.FromStream(new PipeLikeStream(bytes), 5000);
        Assert.Equal(bytes, await payload.ReadAllBytesAsync(Ct));
    }
}
