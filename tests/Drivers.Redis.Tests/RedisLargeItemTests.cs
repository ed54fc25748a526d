using System.Security.Cryptography;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// A large item through the published pushx and procx and a real redis-server: byte-exact, and each tool's
/// peak memory within twice the item plus a constant (issue 11 measured 6x: 650 MB for 100 MiB).
/// </summary>
public sealed class RedisLargeItemTests
{
    private const int ItemBytes = 64 * 1024 * 1024;
    private const long Limit = 2L * ItemBytes + 64 * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_64_MiB_binary_item_goes_pushx_to_redis_list_to_procx_stdin_byte_exact_within_twice_its_size()
    {
        var client = await RedisService.ClientAsync();
        var key = RedisService.NewKey("large");
        var dir = Directory.CreateTempSubdirectory("procx-large-");
        try
        {
            var item = Path.Combine(dir.FullName, "item");
            var got = Path.Combine(dir.FullName, "got");
            var bytes = RandomNumberGenerator.GetBytes(ItemBytes); // binary: every byte value, NULs included
            await File.WriteAllBytesAsync(item, bytes, Ct);
            var expected = SHA256.HashData(bytes);
            bytes = [];

            var (push, pushPeak) = await PeakMemory.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", "redis-list", key), item, TimeSpan.FromMinutes(3));
            Assert.True(push.ExitCode == 0, push.ToString());
            Assert.Equal(1, await client.GetDatabase().ListLengthAsync(key));

            var (take, takePeak) = await PeakMemory.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "sh", "-c", "exec cat > \"$0\"", got],
                EndToEnd.Env("PROCX", "redis-list", key), "/dev/null", TimeSpan.FromMinutes(3));
            Assert.True(take.ExitCode == 0, take.ToString());

            var received = await File.ReadAllBytesAsync(got, Ct);
            Assert.Equal(ItemBytes, received.Length);
            Assert.Equal(expected, SHA256.HashData(received));
            // Cleared once the child succeeded: neither in the list nor in a processing list.
            Assert.Equal(0, await client.GetDatabase().ListLengthAsync(key));
            var server = client.GetServer(client.GetEndPoints()[0]);
            await foreach (var processing in server.KeysAsync(pattern: key + ":processing:*"))
            {
                Assert.Equal(0, await client.GetDatabase().ListLengthAsync(processing));
            }
            Assert.True(pushPeak > 0 && takePeak > 0, "no memory reading was taken");
            TestContext.Current.SendDiagnosticMessage($"[memory] pushx {pushPeak >> 20} MiB, procx {takePeak >> 20} MiB for {ItemBytes >> 20} MiB");
            Assert.True(pushPeak < Limit && takePeak < Limit,
                $"pushx peaked at {pushPeak >> 20} MiB, procx at {takePeak >> 20} MiB, for a {ItemBytes >> 20} MiB item (limit {Limit >> 20} MiB each)");
        }
        finally
        {
            dir.Delete(recursive: true);
            await RedisService.DeleteAsync(key);
        }
    }
}
