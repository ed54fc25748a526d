using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.ActiveMq.Tests;

/// <summary>activemq through the real, published procx and pushx against the real ActiveMQ.</summary>
public sealed class ActiveMqEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StompBroker Broker => StompBroker.ActiveMq;

    [Fact]
    public async Task Originals_usage_shape_pushx_then_procx_with_the_same_flags()
    {
        var name = StompBroker.NewName("shape");
        try
        {
            // The originals' flags: what pushx sends (to the bare name) is what procx reads (/queue/NAME).
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "activemq", "-activemq-address", Broker.Address, "-activemq-name", name],
                stdin: "{\"id\":1,\"name\":\"John\"}"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());
            var run = await ToolRunner.RunAsync(ToolRunner.Procx,
                ["-driver", "activemq", "-activemq-address", Broker.Address, "-activemq-type", "queue", "-activemq-name", name, "-pass-work-as-stdin", "cat"]);
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("{\"id\":1,\"name\":\"John\"}", run.StdoutText);
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));

            // Empty now: no work after the wait, exit 0 (the original blocked for ever).
            var clock = Stopwatch.StartNew();
            var empty = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "activemq", "-activemq-address", Broker.Address, "-activemq-name", name, "cat"]);
            Assert.True(empty.ExitCode == 0, empty.ToString());
            Assert.Empty(empty.Stdout);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"an empty queue took {clock.Elapsed.TotalSeconds:0.0}s");
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Binary_payload_round_trips_pushx_to_procx_byte_exact()
    {
        var name = StompBroker.NewName("binary");
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0, 0xff, 0x0a, 0x0d, 0xc3, 0x28, 0 }).ToArray();
        try
        {
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], Broker.Env("PUSHX", name), stdin: payload);
            Assert.True(push.ExitCode == 0, push.ToString());
            // No command: procx writes the payload to stdout, unchanged.
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, [], Broker.Env("PROCX", name));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(payload, run.Stdout);
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Topic_push_reaches_a_procx_subscribed_to_the_topic()
    {
        var name = StompBroker.NewName("topic-e2e");
        var env = Broker.Env("PROCX", name);
        env["PROCX_ACTIVEMQ_TYPE"] = "topic";
        var procx = ToolRunner.Start(ToolRunner.Procx, ["-daemon", "-pass-work-as-stdin", "cat"], env);
        var stderr = new StringBuilder();
        procx.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        procx.BeginErrorReadLine();
        var firstLine = procx.StandardOutput.ReadLineAsync(Ct).AsTask();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!firstLine.IsCompleted && DateTime.UtcNow < deadline)
            {
                var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-activemq-type", "topic", "-in", "published\n"], Broker.Env("PUSHX", name));
                Assert.True(push.ExitCode == 0, push.ToString());
                await Task.WhenAny(firstLine, Task.Delay(300, Ct));
            }
            Assert.True(firstLine.IsCompleted, "procx saw nothing on the topic: " + stderr);
            Assert.Equal("published", await firstLine);
        }
        finally
        {
            procx.Kill(entireProcessTree: true);
            await procx.WaitForExitAsync(Ct);
            procx.Dispose();
        }
    }

    [Fact]
    public async Task Failing_child_hands_the_message_back()
    {
        var name = StompBroker.NewName("fail-e2e");
        try
        {
            await Broker.SendAsync("/queue/" + name, "{\"id\":1}"u8.ToArray(), "{\"id\":2}"u8.ToArray());
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "/bin/sh", "-c", "cat >/dev/null; exit 3"], Broker.Env("PROCX", name));
            Assert.True(run.ExitCode == 3, run.ToString());
            var left = await Broker.ReadAllAsync("/queue/" + name, consume: false);
            Assert.Equal(["{\"id\":1}", "{\"id\":2}"], left.Select(m => Encoding.UTF8.GetString(m.Body.Span)).Order(StringComparer.Ordinal));
            Assert.Empty(await Broker.ReadAllAsync("/queue/ActiveMQ.DLQ." + name, consume: false, TimeSpan.FromMilliseconds(300)));
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Max_failures_dead_letters_after_the_set_number_of_attempts()
    {
        var name = StompBroker.NewName("maxfail");
        var dlq = StompBroker.NewName("maxfail-dlq");
        try
        {
            await Broker.SendAsync("/queue/" + name, "poison"u8.ToArray());
            var env = Broker.Env("PROCX", name);
            env["PROCX_ACTIVEMQ_DEAD_LETTER_NAME"] = dlq;
            var run = await ToolRunner.RunAsync(ToolRunner.Procx,
                ["-daemon", "-exit-when-empty", "-max-failures", "3", "-failure-backoff", "100ms", "-daemon-interval", "200", "/bin/sh", "-c", "exit 1"], env, timeout: TimeSpan.FromSeconds(60));
            Assert.Contains("failed 3 times; dead-lettered", run.Stderr, StringComparison.Ordinal);
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
            Assert.Equal("poison"u8.ToArray(), Assert.Single(await Broker.ReadAllAsync("/queue/" + dlq, consume: true)).Body.ToArray());
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
            await Broker.PurgeAsync("/queue/" + dlq);
        }
    }

    [Fact]
    public async Task Message_of_a_killed_procx_is_processed_by_the_next_one()
    {
        var name = StompBroker.NewName("kill9");
        var dir = Directory.CreateTempSubdirectory("procx-activemq-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await Broker.SendAsync("/queue/" + name, Encoding.UTF8.GetBytes(payload));
            var env = Broker.Env("PROCX", name);
            env["PROCX_PASS_WORK_AS_STDIN"] = "true";

            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            first.BeginOutputReadLine();
            first.BeginErrorReadLine();
            await WaitUntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, TimeSpan.FromSeconds(30), "the first child to start");
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false, TimeSpan.FromMilliseconds(500))); // held by the first procx
            first.Kill(); // SIGKILL, procx only
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct);
            first.Dispose();

            // The broker saw the socket close without an ACK: the message is there for the next procx at once.
            var second = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outDir)), Ct));
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Concurrency_4_drains_500_messages_each_once()
    {
        var name = StompBroker.NewName("drain");
        var log = Path.Combine(Path.GetTempPath(), $"procx-activemq-drain-{Guid.NewGuid():N}.log");
        try
        {
            var sent = Enumerable.Range(1, 500).Select(i => $"m{i:D3}").ToList();
            await Broker.SendAsync("/queue/" + name, [.. sent.Select(Encoding.UTF8.GetBytes)]);
            var env = Broker.Env("PROCX", name);
            env["DRAIN_LOG"] = log;
            var clock = Stopwatch.StartNew();
            var run = await ToolRunner.RunAsync(ToolRunner.Procx,
                ["-exit-when-empty", "-concurrency", "4", "-daemon-interval", "500", "/bin/sh", "-c", "printf '%s\\n' \"$PROCX_PAYLOAD\" >> \"$DRAIN_LOG\""], env, timeout: TimeSpan.FromMinutes(2));
            clock.Stop();
            Assert.True(run.ExitCode == 0, run.ToString());
            var done = File.ReadAllLines(log);
            var duplicates = done.GroupBy(l => l).Where(g => g.Count() > 1).Select(g => $"{g.Key}×{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"[drain] activemq -concurrency 4: {done.Length} jobs for {sent.Count} messages in {clock.Elapsed.TotalSeconds:0.0}s; duplicates: {duplicates.Count} {string.Join(' ', duplicates)}; lost: {sent.Except(done).Count()}");
            Assert.Equal(sent, done.Distinct().Order(StringComparer.Ordinal));
            Assert.Empty(duplicates); // no fault here: each exactly once
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
        }
        finally
        {
            File.Delete(log);
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Pushx_against_a_closed_port_exits_69_naming_the_address()
    {
        var port = ActiveMqBehaviourTests.FreePort();
        var run = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "activemq", "-activemq-address", $"127.0.0.1:{port}", "-activemq-name", "q", "-in", "x"]);
        Assert.True(run.ExitCode == 69, run.ToString());
        Assert.Contains($"cannot reach the STOMP broker at 127.0.0.1:{port} (connection refused): check -activemq-address (PUSHX_ACTIVEMQ_ADDRESS)", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_the_driver_flags_and_env_vars()
    {
        var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "activemq"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var text in new[] { "-activemq-address", "PROCX_ACTIVEMQ_ADDRESS", "-activemq-type", "-activemq-name", "-activemq-tls-insecure", "-activemq-user", "-activemq-password", "-activemq-vhost", "at-least-once" })
        {
            Assert.Contains(text, run.StdoutText, StringComparison.Ordinal);
        }
        var pushx = await ToolRunner.RunAsync(ToolRunner.Pushx, ["--help", "-driver", "activemq"]);
        Assert.True(pushx.ExitCode == 0, pushx.ToString());
        Assert.Contains("PUSHX_ACTIVEMQ_TYPE", pushx.StdoutText, StringComparison.Ordinal);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0}s waiting for {what}");
            }
            await Task.Delay(100, Ct);
        }
    }
}
