using Drivers.Core.Contracts;
using Drivers.Conformance;
using Drivers.Core;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>Settings as the originals named them, params parsing, and bad input failing cleanly.</summary>
public sealed class SqlSettingsTests
{
    [Theory]
    [InlineData("pending", new[] { "pending" })]
    [InlineData("cleared,{{0.id}}", new[] { "cleared", "{{0.id}}" })]
    [InlineData("\"a, b\",{{0.id}}", new[] { "a, b", "{{0.id}}" })]
    [InlineData("\"say \"\"hi\"\"\", x", new[] { "say \"hi\"", " x" })]
    [InlineData("a,,b", new[] { "a", "", "b" })]
    [InlineData(" \"q\" ,z", new[] { "q", "z" })]
    public void Params_split_on_commas_outside_double_quotes(string text, string[] expected) =>
        Assert.Equal(expected, SqlParams.Split(text));

    [Theory]
    [InlineData("\"open")]
    [InlineData("\"a\"b,c")]
    public void Malformed_params_are_rejected(string text) => Assert.Throws<FormatException>(() => SqlParams.Split(text));

    [Theory]
    [InlineData("postgres", "psql")]
    [InlineData("cockroach", "cockroach")]
    [InlineData("mysql", "mysql")]
    [InlineData("mssql", "mssql")]
    public void Each_driver_takes_the_originals_flags_and_env_names(string driver, string prefix)
    {
        var source = SqlBackend.Registry.FindSource(driver)!;
        var sink = SqlBackend.Registry.FindSink(driver)!;
        var env = prefix.ToUpperInvariant();
        foreach (var name in new[] { "host", "port", "database", "user", "password", "retrieve-query", "retrieve-params", "retrieve-field", "clear-query", "clear-params", "fail-query", "fail-params", "transaction" })
        {
            Assert.Contains(source.Settings, s => s.Name == $"{prefix}-{name}");
        }
        Assert.True(source.Settings.Single(s => s.Name == $"{prefix}-password").Secret);
        Assert.True(sink.Settings.Single(s => s.Name == $"{prefix}-password").Secret);
        Assert.Equal($"PROCX_{env}_RETRIEVE_QUERY", source.Settings.Single(s => s.Name == $"{prefix}-retrieve-query").PrimaryEnvName("PROCX"));
        Assert.Contains($"PUSHX_{env}_QUERY_PARAMS", sink.Settings.Single(s => s.Name == $"{prefix}-params").EnvNames("PUSHX"));
        Assert.Contains($"PUSHX_{env}_PARAMS", sink.Settings.Single(s => s.Name == $"{prefix}-params").EnvNames("PUSHX"));
        Assert.Equal(driver == "cockroach", source.Settings.Any(s => s.Name == "cockroach-routing-id"));
        Assert.Equal(driver is "postgres" or "cockroach", source.Settings.Any(s => s.Name == $"{prefix}-query-key"));
    }

    [Theory]
    [InlineData("missing retrieve query", ExitCodes.Config, "-psql-retrieve-query", "PROCX_PSQL_RETRIEVE_QUERY", new[] { "-driver", "postgres", "-psql-host", "127.0.0.1" })]
    [InlineData("unclosed quote in params", ExitCodes.Config, "-mysql-clear-params", "PROCX_MYSQL_CLEAR_PARAMS", new[] { "-driver", "mysql", "-mysql-retrieve-query", "SELECT 1", "-mysql-clear-params", "\"open,x" })]
    [InlineData("unknown transaction mode", ExitCodes.Usage, "-psql-transaction", "", new[] { "-driver", "postgres", "-psql-retrieve-query", "SELECT 1", "-psql-transaction", "row" })]
    public async Task Bad_settings_exit_with_their_code_and_name_flag_and_env(string why, int exitCode, string flag, string env, string[] args)
    {
        var result = await ToolRunner.RunAsync(ToolRunner.Procx, args);
        Assert.True(result.ExitCode == exitCode, $"{why}: {result}");
        Assert.Contains(flag, result.Stderr, StringComparison.Ordinal);
        Assert.Contains(env, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_tls_file_names_flag_and_env()
    {
        var db = await SqlBackend.MariaDbAsync();
        var error = Assert.Throws<DriverException>(() => DriverFactory.Source(SqlBackend.Registry, "mysql",
            db.Flags(("retrieve-query", "SELECT 1"), ("ssl-mode", "verify-ca"), ("tls-root-cert", "/nonexistent/ca.pem"))));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("-mysql-tls-root-cert", error.Message, StringComparison.Ordinal);
        Assert.Contains("PROCX_MYSQL_TLS_ROOT_CERT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Required_tls_against_a_plain_server_is_unavailable()
    {
        var db = await SqlBackend.MariaDbAsync();
        await using var source = DriverFactory.Source(SqlBackend.Registry, "mysql", db.Flags(("retrieve-query", "SELECT 1"), ("ssl-mode", "require")));
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken));
        Assert.Contains("mysql at ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cockroach_flags_drive_the_postgres_protocol_code_and_send_the_routing_id()
    {
        // CockroachDB itself runs only under Testcontainers; its flags are checked here against PostgreSQL,
        // which speaks the same protocol and rejects the --cluster option, proving the routing id is sent.
        var pg = await SqlBackend.PostgresAsync();
        Dictionary<string, string> Flags(params (string, string)[] more) =>
            pg.Flags(more).ToDictionary(kv => kv.Key.Replace("psql-", "cockroach-", StringComparison.Ordinal), kv => kv.Value);
        await using (var plain = DriverFactory.Source(SqlBackend.Registry, "cockroach", Flags(("retrieve-query", "SELECT 7 AS n"), ("retrieve-field", "n"))))
        await using (var item = await plain.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken))
        {
            Assert.Equal("7"u8.ToArray(), await item!.Payload.ReadAllBytesAsync(TestContext.Current.CancellationToken));
            await plain.ClearAsync(item, TestContext.Current.CancellationToken);
        }
        await using var routed = DriverFactory.Source(SqlBackend.Registry, "cockroach", Flags(("retrieve-query", "SELECT 1"), ("routing-id", "my-cluster-123")));
        var error = await Assert.ThrowsAsync<DriverException>(() => routed.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken));
        // The server refuses the startup option: a setting to change, not an outage.
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("cluster", error.Message, StringComparison.Ordinal);
        Assert.Contains("-cockroach-routing-id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_is_a_configuration_error_naming_user_and_password_without_showing_it()
    {
        var db = await SqlBackend.PostgresAsync();
        const string secret = "not-the-password-5f3a";
        var args = db.Args(("retrieve-query", "SELECT 1"), ("password", secret));
        var result = await ToolRunner.RunAsync(ToolRunner.Procx, [.. args, "-log-level", "debug"]);
        Assert.Equal(ExitCodes.Config, result.ExitCode);
        Assert.DoesNotContain(secret, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("postgres at", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused the credentials", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("-psql-user/-psql-password (PROCX_PSQL_USER/PROCX_PSQL_PASSWORD)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mssql_in_the_shipped_build_exits_78_saying_how_to_get_it()
    {
        var procx = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "mssql", "-mssql-retrieve-query", "SELECT 1"]);
        Assert.Equal(ExitCodes.Config, procx.ExitCode);
        Assert.Contains("-p:WithMssql=true", procx.Stderr, StringComparison.Ordinal);
        var pushx = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "mssql", "-mssql-query", "SELECT 1"], stdin: "{}"u8.ToArray());
        Assert.Equal(ExitCodes.Config, pushx.ExitCode);
        Assert.DoesNotContain("   at ", pushx.Stderr, StringComparison.Ordinal);
    }
}
