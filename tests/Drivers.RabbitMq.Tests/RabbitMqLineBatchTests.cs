using System.Globalization;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>
/// pushx -lines -batch-size into rabbitmq through the published executable: the lines of a batch published, then
/// their publisher confirms awaited once (batches counted from pushx's debug log), every line once, in order and
/// byte-exact; and a batch the broker refuses in part (a queue at its x-max-length with x-overflow
/// reject-publish nacks the lines past it) names the nacked lines while the others were queued and teed.
/// </summary>
public sealed partial class RabbitMqLineBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Binary_lines_go_in_batches_and_each_arrives_once_in_order_byte_exact()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("lines");
        try
        {
            // NUL-delimited records holding every other byte value, newlines included.
            var records = Enumerable.Range(0, 2500).Select(i => Enumerable.Range(0, 20 + i % 50).Select(b => (byte)((b * 7 + i) % 255 + 1)).ToArray()).ToList();
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-batch-size", "1000"],
                Env(queue), records.SelectMany(rec => rec.Append((byte)0)).ToArray());

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal([1000, 1000, 500], Batches(r.Stderr));
            Assert.Equal(records, await RabbitMqService.TakeAllAsync(queue));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Lines_a_full_queue_nacks_are_named_and_the_others_are_queued_and_teed()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("full");
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-rabbitmq-tee-{Guid.NewGuid():N}");
        await RabbitMqService.DeclareAsync(queue, new Dictionary<string, object?> { ["x-max-length"] = 3, ["x-overflow"] = "reject-publish" });
        try
        {
            // The queue takes three: lines 4 and 5 of the first batch are nacked, sent once more, nacked again;
            // lines 6 and 7 are not read.
            var env = Env(queue);
            env["PUSHX_RABBITMQ_PASSIVE"] = "true";
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "5", "-out", tee], env, "a\nb\nc\nd\ne\nf\ng\n"u8.ToArray());

            Assert.True(r.ExitCode == 69, r.ToString()); // the broker did not take them now: unavailable
            Assert.Contains("lines 4-5 were not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("nack", r.Stderr, StringComparison.Ordinal);
            Assert.Equal(["a", "b", "c"], (await RabbitMqService.TakeAllAsync(queue)).Select(b => System.Text.Encoding.UTF8.GetString(b)));
            Assert.Equal("a\nb\nc\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    private static Dictionary<string, string> Env(string queue)
    {
        var env = EndToEnd.Env("PUSHX", queue);
        env["LOG_LEVEL"] = "debug";
        return env;
    }

    private static List<int> Batches(string stderr) =>
        [.. BatchLine().Matches(stderr).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"batch pushed.*?lines=(\d+)")]
    private static partial Regex BatchLine();
}
