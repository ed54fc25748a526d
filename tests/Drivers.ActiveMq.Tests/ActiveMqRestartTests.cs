using System.Diagnostics;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.ActiveMq.Tests;

[CollectionDefinition("activemq restart", DisableParallelization = true)]
public sealed class ActiveMqRestartCollection;

/// <summary>
/// The broker killed (SIGKILL) and started again on the same data while procx drains: it reconnects and
/// finishes with nothing lost. Runs alone: every other test uses the same broker.
/// </summary>
[Collection("activemq restart")]
public sealed class ActiveMqRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Daemon_reconnects_after_the_broker_restarts_mid_drain_and_loses_nothing()
    {
        var broker = StompBroker.ActiveMq;
        var address = broker.Address;
        var restart = TestServices.Require("ACTIVEMQ_RESTART", "the broker's restart command (tests/services/activemq.service.sh)");
        var name = StompBroker.NewName("restart");
        var log = Path.Combine(Path.GetTempPath(), $"procx-activemq-restart-{Guid.NewGuid():N}.log");
        var sent = Enumerable.Range(1, 150).Select(i => $"r{i:D3}").ToList();
        await broker.SendAsync("/queue/" + name, [.. sent.Select(Encoding.UTF8.GetBytes)]);
        var env = broker.Env("PROCX", name);
        env["DRAIN_LOG"] = log;
        env["PROCX_ACTIVEMQ_HEART_BEAT"] = "2s";
        var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-daemon", "-daemon-interval", "200", "-concurrency", "2", "/bin/sh", "-c", "sleep 0.02; printf '%s\\n' \"$PROCX_PAYLOAD\" >> \"$DRAIN_LOG\""], env);
        var stderr = new StringBuilder();
        procx.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        procx.BeginErrorReadLine();
        procx.BeginOutputReadLine();
        string[] Done() => File.Exists(log) ? File.ReadAllLines(log) : [];
        try
        {
            await ActiveMqEndToEndTests.WaitUntilAsync(() => Done().Length >= 40, TimeSpan.FromSeconds(60), "40 jobs before the restart");
            var clock = Stopwatch.StartNew();
            var restarted = await ToolRunner.RunAsync("/bin/bash", [restart], new Dictionary<string, string> { ["PATH"] = Environment.GetEnvironmentVariable("PATH")! });
            Assert.True(restarted.ExitCode == 0, restarted.ToString());
            var atRestart = Done().Length;
            await ActiveMqEndToEndTests.WaitUntilAsync(() => sent.All(new HashSet<string>(Done()).Contains), TimeSpan.FromSeconds(120),
                "every message after the restart");
            var done = Done();
            var duplicates = done.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => $"{g.Key}×{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage(
                $"[restart] activemq: {atRestart} of {sent.Count} done when the broker was killed; all done {clock.Elapsed.TotalSeconds:0.0}s later; jobs {done.Length}; lost {sent.Except(done).Count()}; duplicated {duplicates.Count} {string.Join(' ', duplicates)}");
            Assert.Empty(sent.Except(done));
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr);
            // At least once: a job whose ACK the dying broker never confirmed runs again; nothing more than that.
            Assert.True(duplicates.Count <= 4, $"more duplicates than jobs in flight: {string.Join(' ', duplicates)}");
        }
        finally
        {
            if (!procx.HasExited)
            {
                procx.Kill(entireProcessTree: true);
                await procx.WaitForExitAsync(Ct);
            }
            procx.Dispose();
            File.Delete(log);
            await broker.PurgeAsync("/queue/" + name);
        }
        Assert.Empty(await broker.ReadAllAsync("/queue/" + name, consume: false));
    }
}
