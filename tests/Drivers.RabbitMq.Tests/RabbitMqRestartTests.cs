using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drivers.Conformance;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>
/// Tests that need a broker configured or restarted for them, through the published procx/pushx: a RabbitMQ
/// node of the test's own (tests/services/rabbitmq-node.sh, free loopback ports). The shared broker is never
/// restarted or reconfigured: other test projects may be using it.
/// </summary>
public sealed class RabbitMqRestartTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Daemon_reconnects_after_the_broker_restarts_mid_drain_and_loses_nothing()
    {
        _ = await RabbitMqService.ConnectionAsync(); // the shared broker's backend line; this test runs its own node
        var server = TestServices.Require("RABBITMQ_SERVER_BIN", "rabbitmq-server (this test restarts a RabbitMQ node of its own)");
        Assert.True(File.Exists(server), server);
        var script = Path.Combine(ToolRunner.RepoRoot, "tests", "services", "rabbitmq-node.sh");
        var dir = Directory.CreateTempSubdirectory("procx-rabbitmq-restart-").FullName;
        var log = Path.Combine(dir, "jobs.log");
        var (amqp, dist) = (FreePort(), FreePort());
        var url = $"amqp://guest:guest@127.0.0.1:{amqp}/";
        Process? node = null;
        Process? procx = null;
        try
        {
            node = await StartNodeAsync(script, dir, amqp, dist, url);
            const int count = 200;
            var sent = Enumerable.Range(1, count).Select(i => $"m{i:D4}").ToList();
            await using (var connection = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync(Ct))
            await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true), Ct))
            {
                await channel.QueueDeclareAsync("restart", durable: true, exclusive: false, autoDelete: false, cancellationToken: Ct);
                foreach (var body in sent)
                {
                    await channel.BasicPublishAsync("", "restart", mandatory: true, new BasicProperties { Persistent = true }, Encoding.UTF8.GetBytes(body), Ct);
                }
            }

            var env = EndToEnd.Env("PROCX", "restart", url).With(new() { ["PROCX_DAEMON"] = "true", ["PROCX_DAEMON_INTERVAL"] = "200", ["LOG_FILE"] = log });
            procx = ToolRunner.Start(ToolRunner.Procx,
                ["-concurrency", "2", "/bin/sh", "-c", "sleep 0.02; printf '%s\\n' \"$PROCX_PAYLOAD\" >> \"$LOG_FILE\""], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Lines(log).Count >= 40), TimeSpan.FromSeconds(60), "40 jobs before the restart", stderr);

            // A graceful stop (SIGTERM: connections closed with 320 CONNECTION_FORCED), then the same node again.
            await StopNodeAsync(node);
            node.Dispose();
            var during = Lines(log).Count;
            node = await StartNodeAsync(script, dir, amqp, dist, url);

            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Lines(log).Distinct().Count() >= count), TimeSpan.FromSeconds(90), $"all {count} messages after the restart", stderr);
            await ToolProcesses.WaitUntilAsync(async () => await ReadyAsync(url) == 0, TimeSpan.FromSeconds(20), "the queue to be empty", stderr);
            await Task.Delay(500, Ct); // a duplicate would be a requeued message run again: give one the time to show
            var ran = Lines(log);
            var lost = sent.Except(ran).ToList();
            var duplicates = ran.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage(
                $"[restart] {count} sent, {during} done before the restart, {ran.Count} jobs ran, lost: {lost.Count}, duplicated: {duplicates.Count} ({(duplicates.Count == 0 ? "none" : string.Join(", ", duplicates))})");
            Assert.Empty(lost);
            // At least once: only a message in flight when the connection dropped (its ack lost) may run twice.
            Assert.InRange(duplicates.Count, 0, 2);
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr());
        }
        finally
        {
            if (procx is not null)
            {
                ToolProcesses.Stop(procx);
            }
            if (node is not null)
            {
                await StopNodeAsync(node);
                node.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<string> Lines(string path) => File.Exists(path) ? [.. File.ReadAllLines(path).Where(l => l.Length > 0)] : [];

    internal static async Task<Process> StartNodeAsync(string script, string dir, int amqp, int dist, string url, string name = "procx-restart", Dictionary<string, string>? env = null)
    {
        var node = ToolRunner.Start(script, [dir, amqp.ToString(CultureInfo.InvariantCulture), dist.ToString(CultureInfo.InvariantCulture), name], env);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        await ToolProcesses.WaitUntilAsync(async () =>
        {
            try
            {
                await using var c = await new ConnectionFactory { Uri = new Uri(url), RequestedConnectionTimeout = TimeSpan.FromSeconds(1) }.CreateConnectionAsync(Ct);
                return true;
            }
            catch (BrokerUnreachableException)
            {
                return !node.HasExited ? false : throw new InvalidOperationException($"rabbitmq-node.sh exited with {node.ExitCode}; see {dir}/log");
            }
        }, TimeSpan.FromSeconds(60), $"the test's own RabbitMQ node on port {amqp}");
        return node;
    }

    internal static async Task StopNodeAsync(Process node)
    {
        if (node.HasExited)
        {
            return;
        }
        using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(Ct);
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await node.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            node.Kill(entireProcessTree: true);
        }
    }

    internal static async Task<uint> ReadyAsync(string url, string queue = "restart")
    {
        await using var c = await new ConnectionFactory { Uri = new Uri(url) }.CreateConnectionAsync(Ct);
        await using var channel = await c.CreateChannelAsync(cancellationToken: Ct);
        return (await channel.QueueDeclarePassiveAsync(queue, Ct)).MessageCount;
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>consumer_timeout, on a node of the test's own started with a 1 s timeout (a class of its own: it runs beside the restart test).</summary>
public sealed class RabbitMqConsumerTimeoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Job_longer_than_consumer_timeout_is_reported_lost_and_the_message_requeued()
    {
        _ = await RabbitMqService.ConnectionAsync();
        TestServices.Require("RABBITMQ_SERVER_BIN", "rabbitmq-server (this test runs a RabbitMQ node of its own with a short consumer_timeout)");
        var script = Path.Combine(ToolRunner.RepoRoot, "tests", "services", "rabbitmq-node.sh");
        var dir = Directory.CreateTempSubdirectory("procx-rabbitmq-ctimeout-").FullName;
        var (amqp, dist) = (RabbitMqRestartTests.FreePort(), RabbitMqRestartTests.FreePort());
        var url = $"amqp://guest:guest@127.0.0.1:{amqp}/";
        Process? node = null;
        try
        {
            node = await RabbitMqRestartTests.StartNodeAsync(script, dir, amqp, dist, url, "procx-ctimeout", new() { ["CONSUMER_TIMEOUT_MS"] = "1000" });
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", "long", url), stdin: "long job"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());

            // The job outlives consumer_timeout: the broker closes the channel (406) and requeues the message;
            // procx's ack then cannot land, which it reports as lost work (75), never as done.
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", "sleep 4"], EndToEnd.Env("PROCX", "long", url));
            Assert.True(run.ExitCode == 75, run.ToString());
            Assert.Contains("cannot ack the message", run.Stderr, StringComparison.Ordinal);
            await ToolProcesses.WaitUntilAsync(async () => await RabbitMqRestartTests.ReadyAsync(url, "long") == 1, TimeSpan.FromSeconds(10), "the message back in the queue");
        }
        finally
        {
            if (node is not null)
            {
                await RabbitMqRestartTests.StopNodeAsync(node);
                node.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }
}
