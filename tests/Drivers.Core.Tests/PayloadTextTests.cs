using System.Text;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>
/// A payload decoded into one string straight from its stream: the same text Encoding.UTF8.GetString gives,
/// for ASCII (one pass), multi-byte characters (which make the string shorter than the bytes, also split
/// across read chunks), invalid UTF-8 (U+FFFD) and empty input, from a file, a single-use stream, bytes.
/// </summary>
public sealed class PayloadTextTests
{
    public static TheoryData<string, byte[]> Texts() => new()
    {
        { "ascii", Encoding.ASCII.GetBytes(new string('a', 200_000)) },
        // é is two bytes: with 65535 a's first, one straddles the 64 KiB read chunk.
        { "multi-byte across a chunk", Encoding.UTF8.GetBytes(new string('a', 65535) + "é€😀" + new string('b', 70_000)) },
        { "invalid utf-8", [0x61, 0xff, 0xfe, 0x62, 0xc3] },
        { "empty", [] },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task A_file_payload_decodes_as_GetString_does(string name, byte[] bytes)
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);
            await using var payload = Payload.FromFile(path);
            Assert.True(Encoding.UTF8.GetString(bytes) == await payload.ReadUtf8StringAsync(TestContext.Current.CancellationToken), name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task A_single_use_stream_of_known_length_decodes_as_GetString_does(string name, byte[] bytes)
    {
        await using var payload = Payload.FromStream(new MemoryStream(bytes), bytes.Length);
        Assert.True(Encoding.UTF8.GetString(bytes) == await payload.ReadUtf8StringAsync(TestContext.Current.CancellationToken), name);
    }

    [Theory]
    [MemberData(nameof(Texts))]
    public async Task A_stream_of_unknown_length_and_bytes_decode_as_GetString_does(string name, byte[] bytes)
    {
        await using var stream = Payload.FromStream(new MemoryStream(bytes));
        await using var held = Payload.FromBytes(bytes);
        Assert.True(Encoding.UTF8.GetString(bytes) == await stream.ReadUtf8StringAsync(TestContext.Current.CancellationToken), name);
        Assert.True(Encoding.UTF8.GetString(bytes) == await held.ReadUtf8StringAsync(TestContext.Current.CancellationToken), name);
    }
}
