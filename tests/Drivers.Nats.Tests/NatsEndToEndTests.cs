using System.Diagnostics;
using System.Globalization;
using System.Text;
using Drivers.Conformance;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>nats through the real, published (Native AOT) procx and pushx against a real nats-server.</summary>
public sealed class NatsEndToEndTests
{
    internal static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Binary = [.. Enumerable.Range(0, 256).Select(i => (byte)i), 0, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28];

    [Fact]
    public async Task Original_usage_shape_a_request_is_answered_with_the_childs_outcome()
    {
        var client = await NatsService.ClientAsync();
        var subject = NatsService.NewName("orig");
        // The original's README: procx -nats-subject … -nats-url … -nats-clear-response OK -nats-fail-response FAIL -driver nats bash -c '…'
        var args = new List<string> { "-nats-subject", subject, "-nats-url", NatsService.Url.Replace("nats://", "", StringComparison.Ordinal),
            "-nats-clear-response", "OK", "-nats-fail-response", "FAIL", "-nats-queue-group", "my-group", "-driver", "nats" };
        foreach (var (child, expectedExit, expectedReply) in new[] { ("echo the payload is: $PROCX_PAYLOAD", 0, "OK"), ("exit 3", 3, "FAIL") })
        {
            var run = ToolRunner.RunAsync(ToolRunner.Procx, [.. args, "bash", "-c", child]);
            var reply = await RequestWhenSubscribedAsync(client, subject, "hello"u8.ToArray());
            var result = await run;
            Assert.True(result.ExitCode == expectedExit, result.ToString());
            Assert.Equal(expectedReply, reply);
            if (expectedExit == 0)
            {
                Assert.Equal("the payload is: hello\n", result.StdoutText);
            }
        }
    }

    [Fact]
    public async Task Core_pushx_to_procx_round_trip_is_byte_exact()
    {
        _ = await NatsService.ClientAsync();
        var subject = NatsService.NewName("corert");
        var dir = Directory.CreateTempSubdirectory("procx-nats-core-").FullName;
        try
        {
            var output = Path.Combine(dir, "out");
            var procx = ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "sh", "-c", $"cat > '{output}'"],
                EndToEnd.Env("PROCX", NatsService.Url, ("NATS_SUBJECT", subject), ("NATS_WAIT", "30s")));
            await NatsCoreSourceTests.WaitForSubscriptionsAsync(subject, 1);
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], EndToEnd.Env("PUSHX", NatsService.Url, ("NATS_SUBJECT", subject)), stdin: Binary);
            Assert.True(push.ExitCode == 0, push.ToString());
            var result = await procx;
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Binary, await File.ReadAllBytesAsync(output, Ct));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task JetStream_pushx_to_procx_round_trip_is_byte_exact_and_acked()
    {
        var stream = NatsService.NewName("jsrt");
        var dir = Directory.CreateTempSubdirectory("procx-nats-js-").FullName;
        try
        {
            _ = await NatsService.ClientAsync();
            var subject = stream + ".jobs";
            // pushx creates the stream only because it is asked to.
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-nats-create-stream"],
                EndToEnd.Env("PUSHX", NatsService.Url, ("NATS_SUBJECT", subject), ("NATS_STREAM", stream)), stdin: Binary);
            Assert.True(push.ExitCode == 0, push.ToString());
            var output = Path.Combine(dir, "out");
            var result = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "sh", "-c", $"cat > '{output}'"],
                EndToEnd.Env("PROCX", NatsService.Url, ("NATS_STREAM", stream)));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Binary, await File.ReadAllBytesAsync(output, Ct));
            var consumer = await (await NatsService.JetStreamAsync()).GetConsumerAsync(stream, "procx", Ct);
            Assert.Equal((0, 0UL), (consumer.Info.NumAckPending, consumer.Info.NumPending)); // acked, nothing left
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Failing_child_the_message_comes_back_and_the_next_attempt_knows_it_is_the_second()
    {
        var stream = NatsService.NewName("jsfail");
        var subject = await NatsService.CreateStreamAsync(stream);
        var dir = Directory.CreateTempSubdirectory("procx-nats-fail-").FullName;
        try
        {
            await PublishAsync(subject, "{\"id\":1}");
            var env = EndToEnd.Env("PROCX", NatsService.Url, ("NATS_STREAM", stream), ("NATS_NAK_DELAY", "200ms"));
            var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", "exit 3"], env);
            Assert.True(failed.ExitCode == 3, failed.ToString());

            var output = Path.Combine(dir, "out");
            ToolResult? again = null;
            await ToolProcesses.WaitUntilAsync(async () =>
            {
                again = await ToolRunner.RunAsync(ToolRunner.Procx, ["sh", "-c", $"printf '%s %s' \"$PROCX_ATTEMPT\" \"$PROCX_PAYLOAD\" > '{output}'"], env);
                return File.Exists(output);
            }, TimeSpan.FromSeconds(10), "the failed message to come back");
            Assert.True(again!.ExitCode == 0, again.ToString());
            Assert.Equal("2 {\"id\":1}", await File.ReadAllTextAsync(output, Ct));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Tls_and_a_password_work_in_the_published_executables()
    {
        _ = EndToEnd.NatsServer();
        _ = await NatsService.ClientAsync();
        var port = ToolProcesses.FreePort();
        var dir = Directory.CreateTempSubdirectory("procx-nats-tls-").FullName;
        Process? server = null;
        try
        {
            var (cert, key) = await NatsCredentialsTests.WriteSelfSignedAsync(dir);
            var conf = Path.Combine(dir, "tls.conf");
            await File.WriteAllTextAsync(conf, $$"""
                tls { cert_file: "{{cert}}", key_file: "{{key}}" }
                authorization { user: "u", password: "s3cret" }
                jetstream { store_dir: "{{Path.Combine(dir, "js")}}" }
                """, Ct);
            server = await EndToEnd.StartServerAsync(port, "-c", conf);
            (string, string)[] auth = [("NATS_ENABLE_TLS", "true"), ("NATS_TLS_CA_FILE", cert), ("NATS_USERNAME", "u"), ("NATS_PASSWORD", "s3cret"), ("NATS_STREAM", "TLS")];
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-nats-create-stream", "-nats-subject", "tls.jobs"], EndToEnd.Env("PUSHX", $"nats://127.0.0.1:{port}", auth), stdin: Binary);
            Assert.True(push.ExitCode == 0, push.ToString());
            var result = await ToolRunner.RunAsync(ToolRunner.Procx, [], EndToEnd.Env("PROCX", $"nats://127.0.0.1:{port}", auth));
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal(Binary, result.Stdout); // no command: the payload is printed

            var refused = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-nats-subject", "tls.jobs", "-nats-password", "wrong"], EndToEnd.Env("PUSHX", $"nats://127.0.0.1:{port}", auth), stdin: Binary);
            Assert.True(refused.ExitCode == 78, refused.ToString());
            Assert.Contains("refused the credentials", refused.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong", refused.Stderr.Replace("-nats-password", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
        finally
        {
            if (server is not null)
            {
                ToolProcesses.Stop(server);
            }
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task K8s_manifest_scales_a_jetstream_consumer_with_keda_and_core_nats_with_fixed_workers()
    {
        var js = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-k8s-manifest", "deployment", "-driver", "nats", "-nats-stream", "JOBS", "-nats-consumer", "workers", "-nats-monitoring-endpoint", "nats.nats.svc:8222", "./job.sh"]);
        Assert.True(js.ExitCode == 0, js.ToString());
        foreach (var line in new[] { "type: \"nats-jetstream\"", "natsServerMonitoringEndpoint: \"nats.nats.svc:8222\"", "account: \"$G\"", "stream: \"JOBS\"", "consumer: \"workers\"", "useHttps: \"false\"" })
        {
            Assert.Contains(line, js.StdoutText, StringComparison.Ordinal);
        }

        var core = await ToolRunner.RunAsync(ToolRunner.Procx, ["-k8s-manifest", "deployment", "-driver", "nats", "-nats-subject", "jobs", "./job.sh"]);
        Assert.True(core.ExitCode == 0, core.ToString());
        Assert.DoesNotContain("ScaledObject", core.StdoutText, StringComparison.Ordinal);
        Assert.Contains("kind: \"Deployment\"", core.StdoutText, StringComparison.Ordinal);
        Assert.Contains("keeps no backlog", core.Stderr, StringComparison.Ordinal);

        var noEndpoint = await ToolRunner.RunAsync(ToolRunner.Procx, ["-k8s-manifest", "deployment", "-driver", "nats", "-nats-stream", "JOBS", "./job.sh"]);
        Assert.True(noEndpoint.ExitCode == 78, noEndpoint.ToString());
        Assert.Contains("-nats-monitoring-endpoint", noEndpoint.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_for_the_driver_lists_its_settings_and_capabilities()
    {
        var help = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "nats"]);
        Assert.True(help.ExitCode == 0, help.ToString());
        foreach (var flag in new[] { "-nats-url", "-nats-subject", "-nats-queue-group", "-nats-clear-response", "-nats-stream", "-nats-consumer", "-nats-ack-wait", "-nats-dead-letter-subject", "PROCX_NATS_CREDS_FILE" })
        {
            Assert.Contains(flag, help.StdoutText, StringComparison.Ordinal);
        }
        var pushHelp = await ToolRunner.RunAsync(ToolRunner.Pushx, ["--help", "-driver", "nats"]);
        Assert.True(pushHelp.ExitCode == 0, pushHelp.ToString());
        Assert.Contains("-nats-create-stream", pushHelp.StdoutText, StringComparison.Ordinal);
    }

    internal static async Task PublishAsync(string subject, string payload) =>
        (await (await NatsService.JetStreamAsync()).PublishAsync(subject, Encoding.UTF8.GetBytes(payload), NatsRawSerializer<byte[]>.Default, cancellationToken: Ct)).EnsureSuccess();

    /// <summary>Sends the request until procx has subscribed (no "no responders"), and returns its reply.</summary>
    private static async Task<string> RequestWhenSubscribedAsync(NatsConnection client, string subject, byte[] payload)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                var reply = await client.RequestAsync<byte[], byte[]>(subject, payload, requestSerializer: NatsRawSerializer<byte[]>.Default, replySerializer: NatsRawSerializer<byte[]>.Default,
                    replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(30) }, cancellationToken: Ct);
                return Encoding.UTF8.GetString(reply.Data ?? []);
            }
            catch (NatsNoRespondersException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, Ct);
            }
        }
    }

    internal static int MaxOverlap(IEnumerable<(long Start, long End)> jobs)
    {
        var events = jobs.SelectMany(j => new[] { (At: j.Start, Delta: 1), (At: j.End, Delta: -1) }).OrderBy(e => e.At).ThenBy(e => e.Delta);
        int current = 0, max = 0;
        foreach (var e in events)
        {
            current += e.Delta;
            max = Math.Max(max, current);
        }
        return max;
    }
}
