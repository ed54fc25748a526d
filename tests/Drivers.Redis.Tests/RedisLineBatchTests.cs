using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// pushx -lines -batch-size into redis-list through the published executable: one RPUSH per batch, every line
/// once and in order, binary lines byte-exact, and a batch that is not full pushed once -batch-timeout passes.
/// </summary>
public sealed class RedisLineBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hundred_thousand_lines_arrive_in_order_in_batches()
    {
        var client = await RedisService.ClientAsync();
        var key = RedisService.NewKey("lines");
        try
        {
            var input = new StringBuilder();
            for (var i = 1; i <= 100_000; i++)
            {
                input.Append("line ").Append(i).Append('\n');
            }
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "1000"],
                EndToEnd.Env("PUSHX", "redis-list", key).With(new() { ["LOG_LEVEL"] = "debug" }), Encoding.UTF8.GetBytes(input.ToString()));

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal(100, r.Stderr.Split('\n').Count(l => l.Contains("batch pushed", StringComparison.Ordinal)));
            var stored = await client.GetDatabase().ListRangeAsync(key);
            Assert.Equal(100_000, stored.Length);
            Assert.Equal("line 1", stored[0].ToString());
            Assert.Equal("line 54321", stored[54_320].ToString());
            Assert.Equal("line 100000", stored[^1].ToString());
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task Nul_delimited_binary_records_are_batched_byte_exact()
    {
        var client = await RedisService.ClientAsync();
        var key = RedisService.NewKey("lines-bin");
        try
        {
            var records = Enumerable.Range(0, 300).Select(i => Enumerable.Range(0, 50 + i).Select(b => (byte)((b * 7 + i) % 255 + 1)).ToArray()).ToList();
            var input = records.SelectMany(rec => rec.Append((byte)0)).ToArray();

            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-batch-size", "64"], EndToEnd.Env("PUSHX", "redis-list", key), input);

            Assert.True(r.ExitCode == 0, r.ToString());
            var stored = (await client.GetDatabase().ListRangeAsync(key)).Select(v => (byte[])v!).ToList();
            Assert.Equal(records, stored);
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task A_batch_that_is_not_full_is_pushed_after_the_batch_timeout_while_the_input_stays_open()
    {
        var client = await RedisService.ClientAsync();
        var key = RedisService.NewKey("lines-slow");
        using var pushx = ToolRunner.Start(ToolRunner.Pushx, ["-lines", "-batch-size", "100", "-batch-timeout", "300ms"], EndToEnd.Env("PUSHX", "redis-list", key));
        try
        {
            await pushx.StandardInput.WriteAsync("first\nsecond\n".AsMemory(), Ct);
            await pushx.StandardInput.FlushAsync(Ct);
            await ToolProcesses.WaitUntilAsync(async () => await client.GetDatabase().ListLengthAsync(key) == 2, TimeSpan.FromSeconds(10), "the two lines in the list before the input ends");
            Assert.False(pushx.HasExited);

            await pushx.StandardInput.WriteAsync("third\n".AsMemory(), Ct);
            pushx.StandardInput.Close();
            await pushx.WaitForExitAsync(Ct);
            Assert.Equal(0, pushx.ExitCode);
            Assert.Equal(["first", "second", "third"], (await client.GetDatabase().ListRangeAsync(key)).Select(v => v.ToString()));
        }
        finally
        {
            ToolProcesses.Stop(pushx);
            await RedisService.DeleteAsync(key);
        }
    }
}
