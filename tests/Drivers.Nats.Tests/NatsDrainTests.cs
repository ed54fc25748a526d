using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>A -concurrency 4 drain of 500 JetStream messages through the published procx (a class of its own, so it runs beside the others).</summary>
public sealed class NatsDrainTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrency_4_drains_500_messages_each_exactly_once()
    {
        var stream = NatsService.NewName("drain");
        var subject = await NatsService.CreateStreamAsync(stream);
        var log = Path.Combine(Path.GetTempPath(), $"procx-nats-drain-{Guid.NewGuid():N}.log");
        try
        {
            var js = await NatsService.JetStreamAsync();
            var sent = Enumerable.Range(1, 500).Select(i => $"job-{i}").ToList();
            await Task.WhenAll(sent.Select(async p => (await js.PublishAsync(subject, Encoding.UTF8.GetBytes(p), NatsRawSerializer<byte[]>.Default, cancellationToken: Ct)).EnsureSuccess()));
            const string child = "s=$(date +%s%N); sleep 0.02; printf '%s %s %s\\n' \"$s\" \"$(date +%s%N)\" \"$PROCX_PAYLOAD\" >> \"$DRAIN_LOG\"";
            var env = EndToEnd.Env("PROCX", NatsService.Url, ("NATS_STREAM", stream));
            env["DRAIN_LOG"] = log;
            var clock = Stopwatch.StartNew();
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["-exit-when-empty", "-concurrency", "4", "-daemon-interval", "500", "sh", "-c", child], env, timeout: TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.ToString());
            var jobs = File.ReadAllLines(log).Select(l => l.Split(' ', 3)).Select(p => (Start: long.Parse(p[0], CultureInfo.InvariantCulture), End: long.Parse(p[1], CultureInfo.InvariantCulture), Payload: p[2])).ToList();
            var duplicates = jobs.GroupBy(j => j.Payload).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            var lost = sent.Except(jobs.Select(j => j.Payload)).ToList();
            TestContext.Current.SendDiagnosticMessage($"[nats drain] 500 messages, -concurrency 4: {jobs.Count} jobs in {clock.Elapsed.TotalSeconds:0.0}s, lost {lost.Count}, duplicated {duplicates.Count} {string.Join(' ', duplicates)}, most at once {NatsEndToEndTests.MaxOverlap(jobs.Select(j => (j.Start, j.End)))}");
            Assert.Empty(lost);
            Assert.Empty(duplicates);
            var overlap = NatsEndToEndTests.MaxOverlap(jobs.Select(j => (j.Start, j.End)));
            Assert.InRange(overlap, 2, 4);
            var consumer = await js.GetConsumerAsync(stream, "procx", Ct);
            Assert.Equal((0, 0UL), (consumer.Info.NumAckPending, consumer.Info.NumPending));
        }
        finally
        {
            File.Delete(log);
            await NatsService.DeleteStreamAsync(stream);
        }
    }
}
