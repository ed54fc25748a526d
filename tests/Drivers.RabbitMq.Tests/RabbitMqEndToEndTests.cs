using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>rabbitmq through the real, published (Native AOT) procx and pushx against the real broker.</summary>
public sealed class RabbitMqEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Originals_usage_pushx_then_procx_prints_the_message()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-usage");
        try
        {
            // The originals' shape: flags for pushx, env (PROCX_RABBITMQ_URL / _QUEUE) for procx, no command: print it.
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx,
                ["-driver", "rabbitmq", "-rabbitmq-url", RabbitMqService.Url, "-rabbitmq-queue", queue], stdin: "{\"id\":1,\"name\":\"John\"}"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, [], EndToEnd.Env("PROCX", queue));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal("{\"id\":1,\"name\":\"John\"}", run.StdoutText);
            Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue)); // acked: the original gave it out again forever

            var empty = await ToolRunner.RunAsync(ToolRunner.Procx, [], EndToEnd.Env("PROCX", queue));
            Assert.True(empty.ExitCode == 0 && empty.Stdout.Length == 0, empty.ToString());
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Help_for_the_driver_lists_its_settings()
    {
        var help = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "rabbitmq"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var flag in new[] { "-rabbitmq-url", "-rabbitmq-queue", "-rabbitmq-queue-type", "-rabbitmq-dead-letter-queue", "PROCX_RABBITMQ_URL" })
        {
            Assert.Contains(flag, help.StdoutText, StringComparison.Ordinal);
        }
        var pushHelp = await ToolRunner.RunAsync(ToolRunner.Pushx, ["--help", "-driver", "rabbitmq"]);
        Assert.True(pushHelp.ExitCode == 0, pushHelp.ToString());
        Assert.Contains("-rabbitmq-exchange", pushHelp.StdoutText, StringComparison.Ordinal);
        Assert.Contains("-rabbitmq-routing-key", pushHelp.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task K8s_manifest_maps_to_the_keda_rabbitmq_scaler_with_the_url_as_a_secret()
    {
        var run = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-k8s-manifest", "deployment", "-k8s-scale-threshold", "7", "-driver", "rabbitmq", "-rabbitmq-url", "amqp://u:pw-in-secret@mq:5672/", "-rabbitmq-queue", "jobs", "./work.sh"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var yaml = run.StdoutText;
        Assert.Contains("- type: \"rabbitmq\"", yaml, StringComparison.Ordinal);
        Assert.Contains("queueName: \"jobs\"", yaml, StringComparison.Ordinal);
        Assert.Contains("mode: \"QueueLength\"", yaml, StringComparison.Ordinal);
        Assert.Contains("value: \"7\"", yaml, StringComparison.Ordinal);
        Assert.Contains("- parameter: \"host\"", yaml, StringComparison.Ordinal);
        Assert.Contains("key: \"PROCX_RABBITMQ_URL\"", yaml, StringComparison.Ordinal);
        // The URL (with its password) appears once: in the Secret, never in the pod's plain env or the trigger.
        Assert.Single(yaml.Split('\n'), l => l.Contains("pw-in-secret", StringComparison.Ordinal));
        Assert.Contains("  PROCX_RABBITMQ_URL: \"amqp://u:pw-in-secret@mq:5672/\"", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binary_payload_round_trips_byte_exact_through_pushx_and_procx_over_amqps()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var (url, ca) = RabbitMqService.Tls();
        var queue = RabbitMqService.NewQueue("e2e-binary");
        var dir = Directory.CreateTempSubdirectory("procx-rabbitmq-bin-").FullName;
        try
        {
            var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28 }).ToArray();
            var tls = new Dictionary<string, string> { ["PUSHX_RABBITMQ_TLS_CA_FILE"] = ca, ["PROCX_RABBITMQ_TLS_CA_FILE"] = ca };
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", queue, url).With(tls), stdin: payload);
            Assert.True(push.ExitCode == 0, push.ToString());

            var output = Path.Combine(dir, "out.bin");
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "/bin/sh", "-c", $"cat > '{output}'"], EndToEnd.Env("PROCX", queue, url).With(tls));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(payload, await File.ReadAllBytesAsync(output, Ct));
            Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Failing_child_puts_the_message_back()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-fail");
        try
        {
            await RabbitMqService.DeclareAsync(queue);
            await RabbitMqService.PublishAsync(queue, "{\"id\":1}"u8.ToArray());
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "/bin/sh", "-c", "cat >/dev/null; exit 3"], EndToEnd.Env("PROCX", queue));
            Assert.True(run.ExitCode == 3, run.ToString());
            Assert.Equal(["{\"id\":1}"], (await RabbitMqService.PeekAsync(queue)).Select(Encoding.UTF8.GetString));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Max_failures_dead_letters_through_the_published_procx()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-dlq");
        var dead = queue + ".failed";
        try
        {
            var env = EndToEnd.Env("PROCX", queue).With(new() { ["PROCX_RABBITMQ_DEAD_LETTER_QUEUE"] = dead });
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", queue).With(new() { ["PUSHX_RABBITMQ_DEAD_LETTER_QUEUE"] = dead }), stdin: "poison"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());
            // A daemon, stopped once the message is dead-lettered (with -exit-when-empty procx may exit while the
            // failed message is held for its backoff, and then releases it instead).
            var procx = ToolRunner.Start(ToolRunner.Procx,
                ["-daemon", "-daemon-interval", "100", "-max-failures", "2", "-failure-backoff", "100ms", "/bin/sh", "-c", "exit 1"], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            try
            {
                await ToolProcesses.WaitUntilAsync(async () => stderr().Contains("failed 2 times; dead-lettered", StringComparison.Ordinal)
                    && (await RabbitMqService.PeekAsync(dead)).Count == 1, TimeSpan.FromSeconds(30), "the message dead-lettered after 2 failures", stderr);
            }
            finally
            {
                ToolProcesses.Stop(procx);
            }
            Assert.Empty(await RabbitMqService.PeekAsync(queue));
            Assert.Equal(["poison"], (await RabbitMqService.PeekAsync(dead)).Select(Encoding.UTF8.GetString));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue, dead);
        }
    }

    [Fact]
    public async Task Message_of_a_procx_killed_with_sigkill_mid_job_is_processed_by_the_next_one()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-kill9");
        var dir = Directory.CreateTempSubdirectory("procx-rabbitmq-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await RabbitMqService.DeclareAsync(queue);
            await RabbitMqService.PublishAsync(queue, Encoding.UTF8.GetBytes(payload));
            var env = EndToEnd.Env("PROCX", queue).With(new() { ["PROCX_PASS_WORK_AS_STDIN"] = "true", ["PROCX_DAEMON"] = "true", ["PROCX_DAEMON_INTERVAL"] = "200" });

            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            var firstErr = ToolProcesses.CaptureStderr(first);
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0), TimeSpan.FromSeconds(30), "the first child to start", firstErr);
            Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue)); // held unacked by the first procx
            first.Kill(); // SIGKILL, procx only
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct);
            first.Dispose();

            // The broker requeues it when the dead procx's connection drops: no lease to wait out.
            await ToolProcesses.WaitUntilAsync(async () => await RabbitMqService.ReadyAsync(queue) == 1, TimeSpan.FromSeconds(10), "the broker to requeue the message");
            var second = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            var secondErr = ToolProcesses.CaptureStderr(second);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length > 0), TimeSpan.FromSeconds(30), "the second procx to process the message", secondErr);
                await ToolProcesses.WaitUntilAsync(async () => (await RabbitMqService.PeekAsync(queue)).Count == 0, TimeSpan.FromSeconds(10), "the message to be acked", secondErr);
                Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outDir)), Ct));
            }
            finally
            {
                ToolProcesses.Stop(second);
            }
            Assert.Empty(await RabbitMqService.PeekAsync(queue));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Sigterm_mid_job_releases_the_message_back_to_the_queue()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-sigterm");
        var dir = Directory.CreateTempSubdirectory("procx-rabbitmq-term-").FullName;
        var started = Path.Combine(dir, "started");
        try
        {
            await RabbitMqService.DeclareAsync(queue);
            await RabbitMqService.PublishAsync(queue, "{\"id\":5}"u8.ToArray());
            var procx = ToolRunner.Start(ToolRunner.Procx, ["-daemon", "-shutdown-timeout", "1s", "/bin/sh", "-c", $"touch '{started}'; exec sleep 60"], EndToEnd.Env("PROCX", queue));
            var stderr = ToolProcesses.CaptureStderr(procx);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.Exists(started)), TimeSpan.FromSeconds(30), "the child to start", stderr);
                Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue));
                using (var term = Process.Start("kill", ["-TERM", procx.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync(Ct);
                }
                await procx.WaitForExitAsync(Ct);
                Assert.True(procx.ExitCode == 0, stderr());
                Assert.Contains("released untouched", stderr(), StringComparison.Ordinal);
            }
            finally
            {
                ToolProcesses.Stop(procx);
            }
            // Nacked with requeue on the way out: ready again at once, for the next procx.
            Assert.Equal(["{\"id\":5}"], (await RabbitMqService.PeekAsync(queue)).Select(Encoding.UTF8.GetString));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Concurrency_4_drains_500_messages_each_exactly_once()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("e2e-drain");
        try
        {
            await RabbitMqService.DeclareAsync(queue);
            var sent = Enumerable.Range(1, 500).Select(i => $"{{\"n\":{i}}}").ToList();
            await RabbitMqService.PublishAsync(queue, sent.Select(Encoding.UTF8.GetBytes));

            var result = await ConcurrentDrain.RunAsync(EndToEnd.Env("PROCX", queue), concurrency: 4);

            var duplicates = result.Payloads.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"[drain] 500 sent, {result.Payloads.Count} jobs ran, {result.Payloads.Distinct().Count()} distinct, duplicates: {(duplicates.Count == 0 ? "none" : string.Join(", ", duplicates))}, max overlap {result.MaxOverlap}");
            Assert.Empty(duplicates);
            Assert.Equal(sent.Order(StringComparer.Ordinal), result.Payloads.Order(StringComparer.Ordinal));
            Assert.InRange(result.MaxOverlap, 2, 4);
            Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }
}
