using Amazon.SQS.Model;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>The published procx on an SQS queue: leases renewed by the host, failures redelivered at once.</summary>
public sealed class SqsEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Job_outliving_the_visibility_timeout_is_not_delivered_twice()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 2);
        await queue.SendAsync("{\"id\":\"slow\"}"u8.ToArray());
        var marker = Path.Combine(Path.GetTempPath(), $"procx-sqs-started-{Guid.NewGuid():N}");
        var env = Env(queue);
        // The job runs 7 s, three and a half visibility timeouts; procx must keep renewing the lease.
        using var procx = ToolRunner.Start(ToolRunner.Procx, ["sh", "-c", $"touch '{marker}'; sleep 7"], env);
        procx.StandardInput.Close();
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        _ = procx.StandardOutput.ReadToEndAsync(Ct);
        try
        {
            while (!File.Exists(marker) && !procx.HasExited)
            {
                await Task.Delay(50, Ct);
            }
            Assert.True(File.Exists(marker), $"procx did not start the job: {await stderr}");

            // A second worker polls while the job runs; it must never see the message.
            var stolen = new List<Message>();
            while (!procx.HasExited)
            {
                var response = await queue.Client.ReceiveMessageAsync(new ReceiveMessageRequest { QueueUrl = queue.Url, WaitTimeSeconds = 1, VisibilityTimeout = 1 }, Ct);
                stolen.AddRange(response.Messages ?? []);
            }
            await procx.WaitForExitAsync(Ct);
            Assert.True(procx.ExitCode == 0, $"exit {procx.ExitCode}: {await stderr}");
            Assert.Empty(stolen);
            Assert.Empty(await queue.DrainAsync());
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Failed_job_is_redelivered_at_once()
    {
        // A ten-minute visibility timeout: only ChangeMessageVisibility 0 makes the message available now.
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 600);
        await queue.SendAsync("{\"id\":\"bad\"}"u8.ToArray());

        var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", "exit 4"], Env(queue));
        Assert.NotEqual(0, failed.ExitCode);

        var retried = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "cat"], Env(queue));
        Assert.True(retried.ExitCode == 0, retried.ToString());
        Assert.Equal("{\"id\":\"bad\"}", retried.StdoutText.Trim());
        Assert.Empty(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Concurrency_receives_in_batches_runs_every_message_once_and_never_more_than_the_slots()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 30);
        var items = Enumerable.Range(1, 24).Select(i => $"m{i:D2}").ToList();
        foreach (var item in items)
        {
            await queue.SendAsync(System.Text.Encoding.UTF8.GetBytes(item));
        }

        var drain = await ConcurrentDrain.RunAsync(Env(queue), concurrency: 4);

        Assert.Equal(items, drain.Payloads.Order(StringComparer.Ordinal));
        Assert.InRange(drain.MaxOverlap, 2, 4);
        Assert.Empty(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
    }

    private static Dictionary<string, string> Env(SqsQueue queue)
    {
        var env = AwsTestServices.ToolEnv();
        env["PROCX_DRIVER"] = "aws-sqs";
        env["PROCX_AWS_SQS_QUEUE_URL"] = queue.Url;
        env["PROCX_AWS_ENDPOINT_URL"] = queue.Endpoint;
        env["LOG_LEVEL"] = "debug";
        return env;
    }
}
