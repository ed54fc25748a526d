using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>Faults through the published executables: procx killed mid-job, the server killed and restarted mid-drain (a class of its own, so it runs beside the others).</summary>
public sealed class NatsFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killed_procx_mid_job_the_message_is_processed_by_the_next_one()
    {
        var stream = NatsService.NewName("jskill");
        var subject = await NatsService.CreateStreamAsync(stream);
        var dir = Directory.CreateTempSubdirectory("procx-nats-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await NatsEndToEndTests.PublishAsync(subject, payload);
            var env = EndToEnd.Env("PROCX", NatsService.Url, ("NATS_STREAM", stream), ("NATS_ACK_WAIT", "3s"), ("DAEMON", "true"), ("DAEMON_INTERVAL", "200"), ("PASS_WORK_AS_STDIN", "true"));

            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            var firstErr = ToolProcesses.CaptureStderr(first);
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0), TimeSpan.FromSeconds(30), "the first child to start", firstErr);
            // Past the ack wait while it runs: renewed (+WPI), so nobody else may take it.
            await Task.Delay(4000, Ct);
            var consumer = await (await NatsService.JetStreamAsync()).GetConsumerAsync(stream, "procx", Ct);
            Assert.Equal(0, consumer.Info.NumRedelivered);
            first.Kill(); // SIGKILL, procx only
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct);
            first.Dispose();

            var second = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            var secondErr = ToolProcesses.CaptureStderr(second);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length > 0), TimeSpan.FromSeconds(30), "the second procx to process the message", secondErr);
                await ToolProcesses.WaitUntilAsync(async () =>
                {
                    var info = await (await NatsService.JetStreamAsync()).GetConsumerAsync(stream, "procx", Ct);
                    return info.Info.NumAckPending == 0 && info.Info.NumPending == 0;
                }, TimeSpan.FromSeconds(10), "the message to be acked", secondErr);
                Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outDir)), Ct));
            }
            finally
            {
                ToolProcesses.Stop(second);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Broker_restarted_mid_drain_procx_reconnects_and_nothing_is_lost()
    {
        _ = EndToEnd.NatsServer();
        _ = await NatsService.ClientAsync(); // announces the shared server; this test runs its own
        var port = ToolProcesses.FreePort();
        var dir = Directory.CreateTempSubdirectory("procx-nats-restart-").FullName;
        var store = Directory.CreateDirectory(Path.Combine(dir, "store")).FullName;
        var log = Path.Combine(dir, "jobs.log");
        var url = $"nats://127.0.0.1:{port}";
        Process? server = null;
        Process? procx = null;
        try
        {
            server = await EndToEnd.StartServerAsync(port, "-js", "-sd", store);
            var sent = Enumerable.Range(1, 300).Select(i => $"m{i}").ToList();
            await using (var client = new NatsConnection(NatsOpts.Default with { Url = url }))
            {
                var js = new NatsJSContext(client);
                await js.CreateStreamAsync(new StreamConfig("RESTART", ["restart.>"]) { Storage = StreamConfigStorage.File }, Ct);
                foreach (var p in sent)
                {
                    (await js.PublishAsync("restart.jobs", Encoding.UTF8.GetBytes(p), NatsRawSerializer<byte[]>.Default, cancellationToken: Ct)).EnsureSuccess();
                }
            }
            var env = EndToEnd.Env("PROCX", url, ("NATS_STREAM", "RESTART"), ("NATS_ACK_WAIT", "3s"), ("DAEMON", "true"), ("DAEMON_INTERVAL", "200"), ("CONCURRENCY", "2"));
            env["JOB_LOG"] = log;
            procx = ToolRunner.Start(ToolRunner.Procx, ["sh", "-c", "sleep 0.01; printf '%s\\n' \"$PROCX_PAYLOAD\" >> \"$JOB_LOG\""], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            int Done() => File.Exists(log) ? File.ReadAllLines(log).Length : 0;
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Done() >= 60), TimeSpan.FromSeconds(30), "the drain to get going", stderr);

            server.Kill(); // mid-drain, jobs running and acks on their way
            await server.WaitForExitAsync(Ct);
            server.Dispose();
            var atKill = Done();
            await Task.Delay(1000, Ct);
            server = await EndToEnd.StartServerAsync(port, "-js", "-sd", store);

            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.ReadAllLines(log).Distinct().Count() >= sent.Count), TimeSpan.FromSeconds(60), "every message after the restart", stderr);
            await using (var client = new NatsConnection(NatsOpts.Default with { Url = url }))
            {
                var js = new NatsJSContext(client);
                await ToolProcesses.WaitUntilAsync(async () =>
                {
                    var consumer = await js.GetConsumerAsync("RESTART", "procx", Ct);
                    return consumer.Info.NumAckPending == 0 && consumer.Info.NumPending == 0;
                }, TimeSpan.FromSeconds(30), "every message to be acked", stderr);
            }
            var done = File.ReadAllLines(log);
            var lost = sent.Except(done).ToList();
            var duplicates = done.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"[nats restart] 300 messages, server killed after {atKill} jobs and restarted: {done.Length} jobs, lost {lost.Count}, duplicated {duplicates.Count} (at least once: a job whose ack the dead server never stored runs again) {string.Join(' ', duplicates)}");
            Assert.Empty(lost);
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr());
        }
        finally
        {
            if (procx is not null)
            {
                ToolProcesses.Stop(procx);
            }
            if (server is not null)
            {
                ToolProcesses.Stop(server);
            }
            Directory.Delete(dir, recursive: true);
        }
    }
}
