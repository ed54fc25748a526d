using System.Diagnostics;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Redis;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>The originals' flag and env names, validation, and the connection factory (TLS, errors).</summary>
public sealed class RedisSettingsTests
{
    private static readonly DriverRegistry Registry = new DriverRegistry().AddRedisDrivers();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // From the originals' usage listings (docs: ../shared/reference/originals-cli.md).
    private static readonly string[] OriginalProcxFlags =
    [
        "redis-enable-tls", "redis-host", "redis-key", "redis-password", "redis-port", "redis-steam-consumer-name", "redis-stream-clear-op",
        "redis-stream-consumer-group", "redis-stream-fail-op", "redis-stream-value-keys", "redis-tls-ca-file", "redis-tls-cert-file",
        "redis-tls-key-file", "redis-tls-skip-verify",
    ];

    private static readonly string[] OriginalProcxEnv =
    [
        "PROCX_REDIS_ENABLE_TLS", "PROCX_REDIS_HOST", "PROCX_REDIS_KEY", "PROCX_REDIS_PASSWORD", "PROCX_REDIS_PORT", "PROCX_REDIS_STREAM_CLEAR_OP",
        "PROCX_REDIS_STREAM_CONSUMER_GROUP", "PROCX_REDIS_STREAM_CONSUMER_NAME", "PROCX_REDIS_STREAM_FAIL_OP", "PROCX_REDIS_STREAM_VALUE_KEYS",
        "PROCX_REDIS_TLS_CA_FILE", "PROCX_REDIS_TLS_CERT_FILE", "PROCX_REDIS_TLS_INSECURE", "PROCX_REDIS_TLS_KEY_FILE",
    ];

    private static readonly string[] OriginalPushxFlags =
    [
        "redis-enable-tls", "redis-host", "redis-key", "redis-message-id", "redis-password", "redis-port", "redis-tls-ca-file",
        "redis-tls-cert-file", "redis-tls-key-file", "redis-tls-skip-verify",
    ];

    private static readonly string[] OriginalPushxEnv =
    [
        "PUSHX_REDIS_ENABLE_TLS", "PUSHX_REDIS_HOST", "PUSHX_REDIS_KEY", "PUSHX_REDIS_MESSAGE_ID", "PUSHX_REDIS_PASSWORD", "PUSHX_REDIS_PORT",
        "PUSHX_REDIS_TLS_CA_FILE", "PUSHX_REDIS_TLS_CERT_FILE", "PUSHX_REDIS_TLS_INSECURE", "PUSHX_REDIS_TLS_KEY_FILE",
    ];

    [Fact]
    public void Every_original_flag_and_env_var_is_accepted()
    {
        var source = Registry.FindSource("redis-stream")!.Settings;
        var sink = Registry.FindSink("redis-stream")!.Settings;
        Assert.All(OriginalProcxFlags, f => Assert.Contains(source, s => s.FlagNames.Contains(f)));
        Assert.All(OriginalProcxEnv, e => Assert.Contains(source, s => s.EnvNames("PROCX").Contains(e)));
        Assert.All(OriginalPushxFlags, f => Assert.Contains(sink, s => s.FlagNames.Contains(f)));
        Assert.All(OriginalPushxEnv, e => Assert.Contains(sink, s => s.EnvNames("PUSHX").Contains(e)));
        foreach (var name in new[] { "redis-list", "redis-pubsub" })
        {
            var connection = OriginalPushxFlags.Where(f => f != "redis-message-id");
            Assert.All(connection, f => Assert.Contains(Registry.FindSource(name)!.Settings, s => s.FlagNames.Contains(f)));
            Assert.All(connection, f => Assert.Contains(Registry.FindSink(name)!.Settings, s => s.FlagNames.Contains(f)));
        }
        Assert.Contains(source, s => s.Name == "redis-steam-consumer-name" && s.FlagNames.Contains("redis-stream-consumer-name"));
        Assert.Equal("6379", source.Single(s => s.Name == "redis-port").Default);
        Assert.Equal("*", sink.Single(s => s.Name == "redis-message-id").Default);
        Assert.True(source.Single(s => s.Name == "redis-password").Secret);
    }

    [Fact]
    public void Tls_insecure_env_var_of_the_originals_sets_skip_verify()
    {
        var settings = Registry.FindSource("redis-list")!.Settings;
        var skip = settings.Single(s => s.Name == "redis-tls-skip-verify");
        var values = SettingsBinder.Bind(settings, new Dictionary<Setting, string>(), new Dictionary<string, string> { ["PROCX_REDIS_TLS_INSECURE"] = "true", ["PROCX_REDIS_HOST"] = "h", ["PROCX_REDIS_KEY"] = "k" }, "PROCX");
        Assert.True(values.GetBool(skip));
    }

    [Fact]
    public void Missing_key_names_the_flag_and_the_env_var_and_the_host_defaults_to_the_local_one()
    {
        var error = Assert.ThrowsAny<Exception>(() => DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string>()));
        Assert.Contains("-redis-key", error.Message, StringComparison.Ordinal);
        Assert.Contains("PROCX_REDIS_KEY", error.Message, StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", Registry.FindSource("redis-list")!.Settings.Single(s => s.Name == "redis-host").Default);
        var sinkError = Assert.ThrowsAny<Exception>(() => DriverFactory.Sink(Registry, "redis-stream", new Dictionary<string, string> { ["redis-host"] = "h" }));
        Assert.Contains("PUSHX_REDIS_KEY", sinkError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_values_are_rejected_at_start_up()
    {
        // A value the binder refuses (type, range, choice) is a usage error; one a driver refuses is a configuration error.
        static Exception StartUpError(Func<object> create)
        {
            var e = Assert.ThrowsAny<Exception>(create);
            Assert.True(e is CliException or DriverException { Kind: FailureKind.Configuration }, e.ToString());
            return e;
        }
        var port = StartUpError(() => DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string> { ["redis-host"] = "h", ["redis-key"] = "k", ["redis-port"] = "70000" }));
        Assert.Contains("out of range (1 to 65535)", port.Message, StringComparison.Ordinal);
        StartUpError(() => DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string> { ["redis-host"] = "h", ["redis-key"] = "k", ["redis-list-lease"] = "10ms" }));
        StartUpError(() => DriverFactory.Source(Registry, "redis-stream", new Dictionary<string, string> { ["redis-host"] = "h", ["redis-key"] = "k", ["redis-stream-fail-op"] = "drop" }));
        var missingCa = StartUpError(() => DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string>
        {
            ["redis-host"] = "h", ["redis-key"] = "k", ["redis-enable-tls"] = "true", ["redis-tls-ca-file"] = "/nonexistent/ca.pem",
        }));
        Assert.Contains("PROCX_REDIS_TLS_CA_FILE", missingCa.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreachable_server_is_a_transient_error_naming_host_port_and_flags_without_the_clients_advice()
    {
        var port = ToolProcesses.FreePort();
        await using var source = DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string>
        {
            ["redis-host"] = "127.0.0.1", ["redis-port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["redis-key"] = "k",
        });
        var error = await Assert.ThrowsAsync<Drivers.Core.Contracts.DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(Drivers.Core.Contracts.FailureKind.Transient, error.Kind);
        Assert.Equal($"cannot reach redis at 127.0.0.1:{port} (connection refused): check -redis-host/-redis-port (PROCX_REDIS_HOST/PROCX_REDIS_PORT)", error.Message);
    }

    [Fact]
    public async Task Password_is_sent_and_a_wrong_one_is_a_config_error_naming_the_setting()
    {
        var redisServer = ToolProcesses.RequireProgram("redis-server", "this test runs a password-protected redis-server of its own", "redis");
        var dir = Directory.CreateTempSubdirectory("procx-redis-auth-").FullName;
        var port = ToolProcesses.FreePort();
        var server = ToolRunner.Start(redisServer, ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--requirepass", "s3cret", "--dir", dir, "--save", "", "--appendonly", "no"]);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            Dictionary<string, string> Flags(string password) => new()
            {
                ["redis-host"] = "127.0.0.1", ["redis-port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["redis-key"] = "auth:list",
                ["redis-password"] = password,
            };
            await using (var good = DriverFactory.Sink(Registry, "redis-list", Flags("s3cret")))
            {
                await ToolProcesses.WaitUntilAsync(async () =>
                {
                    try
                    {
                        await good.PushAsync(Drivers.Core.Contracts.Payload.FromBytes([1]), Ct);
                        return true;
                    }
                    catch (DriverException e) when (e.Kind == FailureKind.Transient)
                    {
                        return false; // still starting
                    }
                }, TimeSpan.FromSeconds(20), "a push with the right password");
            }
            await using var bad = DriverFactory.Sink(Registry, "redis-list", Flags("not-the-password"));
            var error = await Assert.ThrowsAsync<DriverException>(() => bad.PushAsync(Drivers.Core.Contracts.Payload.FromBytes([1]), Ct));
            Assert.Equal(FailureKind.Configuration, error.Kind);
            Assert.Contains("PUSHX_REDIS_PASSWORD", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            ToolProcesses.Stop(server);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_connects_with_the_ca_file_or_skip_verify_and_refuses_an_unknown_certificate()
    {
        var redisServer = ToolProcesses.RequireProgram("redis-server", "this test runs a TLS redis-server of its own", "redis");
        var openssl = ToolProcesses.RequireProgram("openssl", "this test makes a self-signed certificate", "redis");
        var dir = Directory.CreateTempSubdirectory("procx-redis-tls-").FullName;
        Process? server = null;
        try
        {
            var cert = Path.Combine(dir, "cert.pem");
            var key = Path.Combine(dir, "key.pem");
            var made = await ToolRunner.RunAsync(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert]);
            Assert.True(made.ExitCode == 0, made.ToString());
            var port = ToolProcesses.FreePort();
            server = ToolRunner.Start(redisServer, ["--bind", "127.0.0.1", "--port", "0", "--tls-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", cert, "--tls-auth-clients", "no", "--dir", dir, "--save", "", "--appendonly", "no"]);
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            var flags = new Dictionary<string, string>
            {
                ["redis-host"] = "127.0.0.1", ["redis-port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["redis-key"] = "tls:list",
                ["redis-enable-tls"] = "true",
            };

            await using (var withCa = DriverFactory.Sink(Registry, "redis-list", new Dictionary<string, string>(flags) { ["redis-tls-ca-file"] = cert }))
            {
                await ToolProcesses.WaitUntilAsync(async () =>
                {
                    try
                    {
                        await withCa.PushAsync(Drivers.Core.Contracts.Payload.FromBytes("over tls"u8.ToArray()), Ct);
                        return true;
                    }
                    catch (DriverException) when (!server.HasExited)
                    {
                        return false; // still starting
                    }
                }, TimeSpan.FromSeconds(20), "a TLS push with -redis-tls-ca-file");
            }
            await using (var skipping = DriverFactory.Source(Registry, "redis-list", new Dictionary<string, string>(flags) { ["redis-tls-skip-verify"] = "true" }))
            {
                await using var item = await skipping.FetchAsync(TimeSpan.Zero, Ct);
                Assert.Equal("over tls"u8.ToArray(), await item!.Payload.ReadAllBytesAsync(Ct));
                await skipping.ClearAsync(item, Ct);
            }
            await using (var untrusted = DriverFactory.Sink(Registry, "redis-list", flags))
            {
                var error = await Assert.ThrowsAsync<DriverException>(() => untrusted.PushAsync(Drivers.Core.Contracts.Payload.FromBytes([1]), Ct));
                Assert.Equal(FailureKind.Configuration, error.Kind);
                Assert.Contains("-redis-tls-ca-file", error.Message, StringComparison.Ordinal);
            }
            var plainFlags = new Dictionary<string, string>(flags);
            plainFlags.Remove("redis-enable-tls");
            await using (var plain = DriverFactory.Sink(Registry, "redis-list", plainFlags))
            {
                var error = await Assert.ThrowsAsync<DriverException>(() => plain.PushAsync(Drivers.Core.Contracts.Payload.FromBytes([1]), Ct));
                Assert.Contains("the port is open but the redis handshake failed: is it a TLS port (-redis-enable-tls)?", error.Message, StringComparison.Ordinal);
            }
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
}
