using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>etcd through the real, published (Native AOT) procx and pushx against a real etcd.</summary>
public sealed class EtcdEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Env(string prefix, string? hosts = null, params (string Name, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            [$"{prefix}_DRIVER"] = "etcd",
            [$"{prefix}_ETCD_HOSTS"] = hosts ?? EtcdService.Address,
            ["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        foreach (var (name, value) in more)
        {
            env[name] = value;
        }
        return env;
    }

    private static Dictionary<string, string> DrainEnv(string root, string? hosts = null, params (string Name, string Value)[] more) =>
        Env("PROCX", hosts, [("PROCX_ETCD_RETRIEVE_KEY", root), ("PROCX_ETCD_WITH_PREFIX", "true"), ("PROCX_ETCD_CLEAR_OP", "rm"), .. more]);

    [Fact]
    public async Task Original_usage_shape_pushx_put_then_procx_takes_the_key_and_moves_it()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("e2e-shape");
        try
        {
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "etcd", "-etcd-hosts", EtcdService.Address, "-etcd-key", root + "job"], stdin: "{\"id\":1}"u8.ToArray());
            Assert.True(push.ExitCode == 0, push.ToString());

            // procx -driver etcd -etcd-hosts … -etcd-retrieve-key job -etcd-clear-op mv -etcd-clear-key done: no command prints the work.
            var take = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "etcd", "-etcd-hosts", EtcdService.Address,
                "-etcd-retrieve-key", root + "job", "-etcd-clear-op", "mv", "-etcd-clear-key", root + "done"]);
            Assert.True(take.ExitCode == 0, take.ToString());
            Assert.Equal("{\"id\":1}", take.StdoutText);
            Assert.Null(await etcd.GetAsync(root + "job"));
            Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString((await etcd.GetAsync(root + "done"))!));

            var empty = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "etcd", "-etcd-hosts", EtcdService.Address, "-etcd-retrieve-key", root + "job"]);
            Assert.True(empty.ExitCode == 0 && empty.Stdout.Length == 0, empty.ToString());

            var help = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "etcd"]);
            Assert.True(help.ExitCode == 0, help.ToString());
            Assert.Contains("-etcd-claim-ttl", help.StdoutText, StringComparison.Ordinal);
            Assert.Contains("PROCX_ETCD_RETRIEVE_KEY", help.StdoutText, StringComparison.Ordinal);
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Pushx_to_procx_round_trip_is_byte_exact_for_a_binary_payload()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("e2e-binary");
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28, 0x7b, 0x7b }).ToArray();
        try
        {
            var push = await ToolRunner.RunAsync(ToolRunner.Pushx, [], Env("PUSHX", null, ("PUSHX_ETCD_KEY", root), ("PUSHX_ETCD_KEY_APPEND_ID", "true")), stdin: payload);
            Assert.True(push.ExitCode == 0, push.ToString());
            var key = Assert.Single(await etcd.ListAsync(root)).Key;
            Assert.StartsWith(root, key, StringComparison.Ordinal);

            var take = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "cat"], DrainEnv(root));
            Assert.True(take.ExitCode == 0, take.ToString());
            Assert.Equal(payload, take.Stdout);
            Assert.Empty(await etcd.ListAsync(root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Failing_child_leaves_the_key_unclaimed_and_the_next_procx_runs_it()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("e2e-fail");
        try
        {
            await etcd.PutAsync(root + "k1", "{\"id\":1}");
            var failed = await ToolRunner.RunAsync(ToolRunner.Procx, ["/bin/sh", "-c", "cat >/dev/null; exit 3"], DrainEnv(root, null, ("PROCX_PASS_WORK_AS_STDIN", "true")));
            Assert.True(failed.ExitCode == 3, failed.ToString());
            Assert.Equal("{\"id\":1}", Encoding.UTF8.GetString((await etcd.GetAsync(root + "k1"))!));
            Assert.Empty(await etcd.ListAsync("procx-claims/" + root)); // given up at once, not left to lapse

            var retried = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "cat"], DrainEnv(root));
            Assert.True(retried.ExitCode == 0, retried.ToString());
            Assert.Equal("{\"id\":1}", retried.StdoutText);
            Assert.Empty(await etcd.ListAsync(root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
            await etcd.DeletePrefixAsync("procx-claims/" + root);
        }
    }

    [Fact]
    public async Task Key_of_a_procx_killed_mid_job_is_run_by_the_next_one_after_the_claim_ttl()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("e2e-kill");
        var dir = Directory.CreateTempSubdirectory("procx-etcd-kill-").FullName;
        var pidFile = Path.Combine(dir, "child.pid");
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        try
        {
            const string payload = "{\"id\":99,\"name\":\"survivor\"}";
            await etcd.PutAsync(root + "job", payload);
            var env = DrainEnv(root, null, ("PROCX_PASS_WORK_AS_STDIN", "true"), ("PROCX_DAEMON", "true"), ("PROCX_DAEMON_INTERVAL", "500"), ("PROCX_ETCD_CLAIM_TTL", "2s"));

            var first = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"echo $$ > '{pidFile}'; exec sleep 120"], env);
            var firstErr = ToolProcesses.CaptureStderr(first);
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(File.Exists(pidFile) && File.ReadAllText(pidFile).Trim().Length > 0), TimeSpan.FromSeconds(30), "the first child to start", firstErr);
            Assert.Single(await etcd.ListAsync("procx-claims/" + root)); // claimed
            first.Kill(); // SIGKILL, procx only
            Process.GetProcessById(int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture)).Kill();
            await first.WaitForExitAsync(Ct);
            first.Dispose();
            Assert.Equal(payload, Encoding.UTF8.GetString((await etcd.GetAsync(root + "job"))!)); // still there

            var clock = Stopwatch.StartNew();
            var second = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"cat > '{outDir}'/job-$$"], env);
            var secondErr = ToolProcesses.CaptureStderr(second);
            try
            {
                await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Directory.GetFiles(outDir).Length > 0), TimeSpan.FromSeconds(30), "the second procx to run the key", secondErr);
                await ToolProcesses.WaitUntilAsync(async () => (await etcd.ListAsync(root)).Count == 0, TimeSpan.FromSeconds(15), "the key to be cleared", secondErr);
                Assert.Equal(payload, await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(outDir)), Ct));
                TestContext.Current.SendDiagnosticMessage($"etcd kill -9: recovered after {clock.Elapsed.TotalSeconds:0.0}s (claim TTL 2s); lost 0, duplicated 0");
            }
            finally
            {
                ToolProcesses.Stop(second);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            await etcd.DeletePrefixAsync(root);
            await etcd.DeletePrefixAsync("procx-claims/" + root);
        }
    }

    [Fact]
    public async Task Concurrency_4_drains_500_keys_each_exactly_once()
    {
        using var etcd = await EtcdService.ClientAsync();
        var root = EtcdService.NewPrefix("e2e-drain");
        try
        {
            var items = Enumerable.Range(1, 500).Select(i => $"m{i:D3}").ToList();
            foreach (var chunk in items.Chunk(25))
            {
                await Task.WhenAll(chunk.Select(item => etcd.PutAsync(root + item, item)));
            }

            var drain = await ConcurrentDrain.RunAsync(DrainEnv(root), concurrency: 4);

            var duplicates = drain.Payloads.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key}×{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"etcd -concurrency 4 drain of 500: {drain.Payloads.Count} jobs, {drain.Payloads.Distinct().Count()} distinct, duplicates: [{string.Join(", ", duplicates)}], max overlap {drain.MaxOverlap}");
            Assert.Equal(items, drain.Payloads.Order(StringComparer.Ordinal));
            Assert.InRange(drain.MaxOverlap, 2, 4);
            Assert.Empty(await etcd.ListAsync(root));
            Assert.Empty(await etcd.ListAsync("procx-claims/" + root));
        }
        finally
        {
            await etcd.DeletePrefixAsync(root);
        }
    }

    [Fact]
    public async Task Daemon_reconnects_after_etcd_restarts_mid_drain_and_loses_nothing()
    {
        var etcdBin = Environment.GetEnvironmentVariable("ETCD_SERVER_BIN") is { Length: > 0 } b ? b : ToolProcesses.Which("etcd");
        if (etcdBin is null)
        {
            TestServices.Require("ETCD_SERVER_BIN", "an etcd binary for a member of this test's own");
        }
        _ = await EtcdService.ClientAsync(); // announces the backend of the other tests; this one runs its own member
        var dir = Directory.CreateTempSubdirectory("procx-etcd-restart-").FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(dir, "out")).FullName;
        var (client, peer) = (ToolProcesses.FreePort(), ToolProcesses.FreePort());
        var address = $"127.0.0.1:{client.ToString(CultureInfo.InvariantCulture)}";
        Process? server = null;
        Process? procx = null;
        try
        {
            server = await StartEtcdAsync(etcdBin!, dir, client, peer);
            using var etcd = new EtcdCtl("http://" + address);
            var items = Enumerable.Range(1, 120).Select(i => $"r{i:D3}").ToList();
            foreach (var chunk in items.Chunk(20))
            {
                await Task.WhenAll(chunk.Select(item => etcd.PutAsync("q/" + item, item)));
            }
            procx = ToolRunner.Start(ToolRunner.Procx, ["/bin/sh", "-c", $"sleep 0.05; printf '%s\\n' \"$PROCX_PAYLOAD\" >> '{outDir}/done'"],
                DrainEnv("q/", address, ("PROCX_DAEMON", "true"), ("PROCX_DAEMON_INTERVAL", "500"), ("PROCX_CONCURRENCY", "2")));
            var stderr = ToolProcesses.CaptureStderr(procx);
            string[] Done() => File.Exists(Path.Combine(outDir, "done")) ? File.ReadAllLines(Path.Combine(outDir, "done")) : [];
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Done().Length >= 30), TimeSpan.FromSeconds(60), "30 jobs before the restart", stderr);

            // etcd dies (SIGKILL) mid-drain and comes back on its data directory.
            server.Kill();
            await server.WaitForExitAsync(Ct);
            server.Dispose();
            var atKill = Done().Length;
            await Task.Delay(1500, Ct); // procx meets a dead server for a while (a fixed outage, not a wait for a condition)
            server = await StartEtcdAsync(etcdBin!, dir, client, peer);

            await ToolProcesses.WaitUntilAsync(async () => (await etcd.ListAsync("q/")).Count == 0 && Done().Distinct().Count() == items.Count,
                TimeSpan.FromSeconds(90), "every key to be run and cleared after the restart", stderr);
            var done = Done();
            var duplicates = done.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => $"{g.Key}×{g.Count()}").ToList();
            TestContext.Current.SendDiagnosticMessage($"etcd restart mid-drain: {atKill} of {items.Count} done at the kill; after: {done.Length} jobs, lost {items.Except(done).Count()}, duplicates: [{string.Join(", ", duplicates)}]");
            Assert.Equal(items, done.Distinct().Order(StringComparer.Ordinal));
            Assert.False(procx.HasExited, "the daemon must survive the restart: " + stderr());
            Assert.Empty(await etcd.ListAsync("procx-claims/q/"));
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

    private static async Task<Process> StartEtcdAsync(string etcdBin, string dir, int client, int peer)
    {
        string Url(int port) => $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var server = ToolRunner.Start(etcdBin, ["--name", "r", "--data-dir", Path.Combine(dir, "data"),
            "--listen-client-urls", Url(client), "--advertise-client-urls", Url(client),
            "--listen-peer-urls", Url(peer), "--initial-advertise-peer-urls", Url(peer), "--initial-cluster", $"r={Url(peer)}",
            "--logger", "zap", "--log-level", "error"]);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await ToolProcesses.WaitUntilAsync(async () =>
        {
            try
            {
                return (await http.GetStringAsync(Url(client) + "/health", Ct)).Contains("true", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), $"etcd on port {client}");
        return server;
    }

}
