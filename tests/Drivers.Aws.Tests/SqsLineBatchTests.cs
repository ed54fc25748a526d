using System.Text;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>
/// pushx -lines -batch-size into SQS through the published executable: SendMessageBatch calls of at most ten
/// (counted from pushx's debug log), every line once, and a batch refused in part named line by line while
/// the rest of it was sent and teed.
/// </summary>
public sealed partial class SqsLineBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Lines_go_in_batches_of_at_most_ten_and_each_arrives_once()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 30);
        var lines = Enumerable.Range(1, 95).Select(i => $"{{\"n\":{i}}}").ToList();

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "50"], Env(queue), Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        Assert.True(r.ExitCode == 0, r.ToString());
        var batches = BatchLine().Matches(r.Stderr).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([10, 10, 10, 10, 10, 10, 10, 10, 10, 5], batches); // SQS takes ten per call: 95 lines, ten calls
        var received = (await queue.DrainAsync(TimeSpan.FromSeconds(2))).Select(m => m.Body).ToList();
        Assert.Equal(lines.Order(StringComparer.Ordinal), received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_batch_refused_in_part_names_the_refused_line_and_sends_and_tees_the_others()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 30);
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-sqs-tee-{Guid.NewGuid():N}");
        try
        {
            // With -push-empty the empty third line is a message, and SQS takes no empty body: it is refused on its
            // own, the four others of its batch are sent; the lines after that batch are not read.
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-push-empty", "-batch-size", "5", "-out", tee],
                Env(queue), "a\nb\n\nd\ne\nf\ng\n"u8.ToArray());

            Assert.True(r.ExitCode == 65, r.ToString()); // the input is wrong: a data error
            Assert.Contains("line 3 was not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("the input is empty", r.Stderr, StringComparison.Ordinal);
            var received = (await queue.DrainAsync(TimeSpan.FromSeconds(2))).Select(m => m.Body).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(["a", "b", "d", "e"], received);
            Assert.Equal("a\nb\nd\ne\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
        }
    }

    private static Dictionary<string, string> Env(SqsQueue queue)
    {
        var env = AwsTestServices.ToolEnv();
        env["PUSHX_DRIVER"] = "aws-sqs";
        env["PUSHX_AWS_SQS_QUEUE_URL"] = queue.Url;
        env["PUSHX_AWS_ENDPOINT_URL"] = queue.Endpoint;
        env["LOG_LEVEL"] = "debug";
        return env;
    }

    [GeneratedRegex(@"batch pushed.*?lines=(\d+)")]
    private static partial Regex BatchLine();
}
