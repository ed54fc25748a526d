using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Mqtt.Tests;

/// <summary>mqtt through the real, published procx and pushx against a real Mosquitto.</summary>
public sealed class MqttEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Procx_child_piped_into_pushx_with_mosquitto_clients_at_both_ends()
    {
        var mosquittoPub = ToolProcesses.RequireProgram("mosquitto_pub", "the job is published with the broker's own client", "mqtt");
        await MqttService.EnsureAsync();
        var source = MqttService.NewTopic("pipe-in");
        var target = MqttService.NewTopic("pipe-out");
        var worker = MqttService.NewClientId();
        var reader = MqttService.NewClientId();
        try
        {
            await MqttService.CreateSessionAsync(worker, source);
            await MqttService.CreateSessionAsync(reader, target);
            var pub = await ToolRunner.RunAsync(mosquittoPub, ["-h", MqttService.Host, "-p", MqttService.PortText, "-q", "1", "-t", source, "-m", "{\"id\":7,\"name\":\"hello\"}"]);
            Assert.True(pub.ExitCode == 0, pub.ToString());

            var script = $"'{ToolRunner.Procx}' -driver mqtt -mqtt-host {MqttService.Host} -mqtt-port {MqttService.PortText} -mqtt-topic '{source}' -mqtt-client-id {worker} -pass-work-as-stdin /bin/sh -c 'tr a-z A-Z'"
                + $" | '{ToolRunner.Pushx}' -driver mqtt -mqtt-host {MqttService.Host} -mqtt-port {MqttService.PortText} -mqtt-topic '{target}'";
            var result = await ToolRunner.RunAsync("/bin/sh", ["-c", script]);
            Assert.True(result.ExitCode == 0, result.ToString());

            Assert.Equal(["{\"ID\":7,\"NAME\":\"HELLO\"}"], (await MqttService.PeekSessionAsync(reader)).Select(m => Encoding.UTF8.GetString(m.Payload)));
            Assert.Empty(await MqttService.PeekSessionAsync(worker)); // acknowledged
        }
        finally
        {
            await MqttService.DeleteSessionAsync(worker);
            await MqttService.DeleteSessionAsync(reader);
        }
    }

    [Fact]
    public async Task Pushx_to_procx_round_trips_a_binary_payload_byte_exact()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("binary");
        var worker = MqttService.NewClientId();
        var dir = Directory.CreateTempSubdirectory("procx-mqtt-bin-").FullName;
        try
        {
            await MqttService.CreateSessionAsync(worker, topic);
            var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28 }).ToArray();
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", topic).With(new() { ["PUSHX_MQTT_QOS"] = "2" }), stdin: payload);
            Assert.True(push.ExitCode == 0, push.ToString());

            var output = Path.Combine(dir, "got.bin");
            var run = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "/bin/sh", "-c", $"cat > '{output}'"], EndToEnd.Env("PROCX", topic, worker));
            Assert.True(run.ExitCode == 0, run.ToString());
            Assert.Equal(payload, await File.ReadAllBytesAsync(output, Ct));
            Assert.Empty(await MqttService.PeekSessionAsync(worker));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await MqttService.DeleteSessionAsync(worker);
        }
    }

    [Fact]
    public async Task A_failing_child_leaves_the_message_to_the_next_procx_and_a_daemon_runs_it_again()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("fail");
        var worker = MqttService.NewClientId();
        var dir = Directory.CreateTempSubdirectory("procx-mqtt-fail-").FullName;
        try
        {
            await MqttService.CreateSessionAsync(worker, topic);
            await MqttService.PublishAsync(topic, Encoding.UTF8.GetBytes("{\"id\":1}"));

            var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", "exit 3"], EndToEnd.Env("PROCX", topic, worker));
            Assert.True(failed.ExitCode == 3, failed.ToString());
            Assert.Equal(["{\"id\":1}"], (await MqttService.PeekSessionAsync(worker)).Select(m => Encoding.UTF8.GetString(m.Payload)));

            // A daemon whose child fails the first time: the message comes back on the reconnect and succeeds.
            var marker = Path.Combine(dir, "tried");
            var done = Path.Combine(dir, "done");
            var env = EndToEnd.Env("PROCX", topic, worker).With(new() { ["PROCX_DAEMON"] = "true", ["PROCX_DAEMON_INTERVAL"] = "200" });
            var daemon = ToolRunner.Start(ToolRunner.Procx,
                ["/bin/sh", "-c", $"if [ -e '{marker}' ]; then printf %s \"$PROCX_PAYLOAD\" >> '{done}'; else touch '{marker}'; exit 4; fi"], env);
            var stderr = ToolProcesses.CaptureStderr(daemon);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => File.Exists(done), TimeSpan.FromSeconds(30), "the second attempt", stderr);
            }
            finally
            {
                ToolProcesses.Stop(daemon);
            }
            Assert.Equal("{\"id\":1}", await File.ReadAllTextAsync(done, Ct));
            Assert.Empty(await MqttService.PeekSessionAsync(worker));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await MqttService.DeleteSessionAsync(worker);
        }
    }

    [Fact]
    public async Task The_message_of_a_killed_procx_is_run_by_the_next_one()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("kill9");
        var worker = MqttService.NewClientId();
        var dir = Directory.CreateTempSubdirectory("procx-mqtt-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            await MqttService.CreateSessionAsync(worker, topic);
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await MqttService.PublishAsync(topic, Encoding.UTF8.GetBytes(payload));
            var env = EndToEnd.Env("PROCX", topic, worker).With(new() { ["PROCX_DAEMON"] = "true", ["PROCX_DAEMON_INTERVAL"] = "200" });

            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            var firstErr = ToolProcesses.CaptureStderr(first);
            await ToolProcesses.WaitUntilAsync(() => File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0, TimeSpan.FromSeconds(30), "the first child", firstErr);
            first.Kill(); // SIGKILL to procx alone
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct);
            first.Dispose();

            var second = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"printf %s \"$PROCX_PAYLOAD\" > '{outDir}'/job-$$"], env);
            var secondErr = ToolProcesses.CaptureStderr(second);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Directory.GetFiles(outDir).Length > 0, TimeSpan.FromSeconds(30), "the second procx to run the message", secondErr);
                await Task.Delay(500, Ct); // a second run would show up here
            }
            finally
            {
                ToolProcesses.Stop(second);
            }
            Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outDir)), Ct));
            Assert.Empty(await MqttService.PeekSessionAsync(worker));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await MqttService.DeleteSessionAsync(worker);
        }
    }

    [Fact]
    public async Task Concurrency_4_drains_500_messages_each_once()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("drain");
        var worker = MqttService.NewClientId();
        var log = Path.Combine(Path.GetTempPath(), $"procx-mqtt-drain-{Guid.NewGuid():N}.log");
        try
        {
            await MqttService.CreateSessionAsync(worker, topic);
            var sent = Enumerable.Range(0, 500).Select(i => $"job-{i}").ToList();
            await MqttService.PublishAsync(topic, sent.Select(Encoding.UTF8.GetBytes));

            var clock = Stopwatch.StartNew();
            var run = await ToolRunner.RunAsync(ToolRunner.Procx,
                ["-exit-when-empty", "-concurrency", "4", "-daemon-interval", "1000", "/bin/sh", "-c", $"printf '%s\\n' \"$PROCX_PAYLOAD\" >> '{log}'"],
                EndToEnd.Env("PROCX", topic, worker), timeout: TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.ToString());
            var ran = File.ReadAllLines(log);
            var duplicates = ran.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"mqtt drain: {ran.Length} jobs for {sent.Count} messages in {clock.Elapsed.TotalSeconds:0.0}s; duplicates: {duplicates.Count} {string.Join(", ", duplicates)}");
            Assert.Equal(sent.Order(StringComparer.Ordinal), ran.Distinct().Order(StringComparer.Ordinal)); // nothing lost
            Assert.Empty(duplicates); // QoS 1 on a persistent session with no fault: each once
            Assert.Empty(await MqttService.PeekSessionAsync(worker));
        }
        finally
        {
            File.Delete(log);
            await MqttService.DeleteSessionAsync(worker);
        }
    }

    [Fact]
    public async Task Daemon_reconnects_after_the_broker_restarts_mid_drain_and_loses_nothing()
    {
        var mosquitto = Environment.GetEnvironmentVariable("MOSQUITTO_BIN") is { Length: > 0 } bin ? bin
            : ToolProcesses.Which("mosquitto") ?? (File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : ToolProcesses.RequireProgram("mosquitto", "this test restarts a mosquitto of its own", "mqtt"));
        await MqttService.EnsureAsync(); // announces the shared backend; this test runs its own broker
        var port = ToolProcesses.FreePort();
        var dir = Directory.CreateTempSubdirectory("procx-mqtt-restart-").FullName;
        var log = Path.Combine(dir, "ran.log");
        var conf = Path.Combine(dir, "mosquitto.conf");
        await File.WriteAllTextAsync(conf, $"""
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence true
            persistence_location {dir}/
            autosave_interval 1
            autosave_on_changes true
            max_queued_messages 0
            user {Environment.UserName}

            """, Ct);
        Process? broker = null;
        Process? procx = null;
        try
        {
            broker = await StartBrokerAsync(mosquitto, conf, port);
            var topic = MqttService.NewTopic("restart");
            var worker = MqttService.NewClientId();
            await MqttService.CreateSessionAsync(worker, topic, "127.0.0.1", port);
            var sent = Enumerable.Range(0, 200).Select(i => $"r-{i}").ToList();
            await MqttService.PublishAsync(topic, sent.Select(Encoding.UTF8.GetBytes), host: "127.0.0.1", port: port);

            var env = EndToEnd.Env("PROCX", topic, worker, port).With(new()
            {
                ["PROCX_MQTT_HOST"] = "127.0.0.1",
                ["PROCX_DAEMON"] = "true",
                ["PROCX_DAEMON_INTERVAL"] = "200",
                ["PROCX_CONCURRENCY"] = "2",
            });
            procx = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"sleep 0.02; printf '%s\\n' \"$PROCX_PAYLOAD\" >> '{log}'"], env);
            var stderr = ToolProcesses.CaptureStderr(procx);
            int Ran() => File.Exists(log) ? File.ReadAllLines(log).Length : 0;
            await ToolProcesses.WaitUntilAsync(() => Ran() >= 40, TimeSpan.FromSeconds(60), "40 jobs before the restart", stderr);

            broker.Kill(); // SIGKILL: what persistence had saved is what the broker knows after the restart
            await broker.WaitForExitAsync(Ct);
            broker.Dispose();
            var atRestart = Ran();
            broker = await StartBrokerAsync(mosquitto, conf, port);

            await ToolProcesses.WaitUntilAsync(() => File.ReadAllLines(log).Distinct().Count() >= sent.Count, TimeSpan.FromSeconds(60), "every message after the restart", stderr);
            await Task.Delay(1000, Ct); // late duplicates would show up here
            var ran = File.ReadAllLines(log);
            var duplicates = ran.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"mqtt broker restart: {atRestart} jobs before the restart, {ran.Length} jobs for {sent.Count} messages; lost: {sent.Except(ran).Count()}; duplicates: {duplicates.Count} {string.Join(", ", duplicates)}");
            Assert.Equal(sent.Order(StringComparer.Ordinal), ran.Distinct().Order(StringComparer.Ordinal));
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr());
        }
        finally
        {
            if (procx is not null)
            {
                ToolProcesses.Stop(procx);
            }
            if (broker is not null)
            {
                ToolProcesses.Stop(broker);
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<Process> StartBrokerAsync(string mosquitto, string conf, int port)
    {
        var broker = ToolRunner.Start(mosquitto, ["-c", conf]);
        broker.BeginOutputReadLine();
        broker.BeginErrorReadLine();
        await ToolProcesses.WaitUntilAsync(() =>
        {
            try
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                tcp.Connect("127.0.0.1", port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), $"mosquitto on port {port}");
        return broker;
    }
}
