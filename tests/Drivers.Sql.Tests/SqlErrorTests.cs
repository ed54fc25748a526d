using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// Database errors as one line a person can act on: an unreachable server names host:port and the flags to
/// check (transient); a wrong statement, user or database names its setting (configuration: procx stops, the
/// row stays); values that do not fit are a data error. In process against the real servers, then through the
/// published procx.
/// </summary>
public abstract class SqlErrorTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Env(SqlBackend db, string suffix) => $"PROCX_{db.Prefix.ToUpperInvariant()}_{suffix}";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> PendingTableAsync(SqlBackend db)
    {
        var table = SqlBackend.NewTable("err");
        await db.ExecAsync($"CREATE TABLE {table} (id {db.AutoId}, work {db.Text}, status {db.ShortText})");
        await db.ExecAsync($"INSERT INTO {table} (work, status) VALUES ('w', 'pending')");
        return table;
    }

    [Fact]
    public async Task A_closed_port_is_transient_naming_host_port_and_the_flags()
    {
        var db = await BackendAsync();
        var port = FreePort();
        await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(("retrieve-query", "SELECT 1"), ("host", "127.0.0.1"), ("port", port.ToString(CultureInfo.InvariantCulture))));
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Transient, error.Kind);
        Assert.Equal($"cannot reach {db.Driver} at 127.0.0.1:{port} (connection refused): check -{db.Prefix}-host/-{db.Prefix}-port ({Env(db, "HOST")}/{Env(db, "PORT")})", error.Message);
    }

    [Fact]
    public async Task A_typo_in_the_clear_query_is_a_configuration_error_naming_it_on_one_line()
    {
        var db = await BackendAsync();
        var table = await PendingTableAsync(db);
        try
        {
            await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
                ("retrieve-query", db.ClaimQuery(table, "id, work", "status = 'pending'")),
                ("clear-query", $"UPDATE {table} SET statuss = 'done' WHERE id = {db.P(1)}"),
                ("clear-params", "{{0.id}}")));
            await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
            var error = await Assert.ThrowsAsync<DriverException>(() => source.ClearAsync(item!, Ct));
            Assert.Equal(FailureKind.Configuration, error.Kind);
            Assert.Contains("statuss", error.Message, StringComparison.Ordinal);
            Assert.Contains($"-{db.Prefix}-clear-query ({Env(db, "CLEAR_QUERY")})", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error.Message);
            Assert.Equal("pending", Assert.Single(await db.QueryAsync($"SELECT status FROM {table}"))[0]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Theory]
    [InlineData("SELEKT 1")]
    [InlineData("SELECT nope FROM no_such_table_procx")]
    public async Task A_bad_retrieve_query_is_a_configuration_error_naming_it(string query)
    {
        var db = await BackendAsync();
        await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(("retrieve-query", query)));
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains($"-{db.Prefix}-retrieve-query ({Env(db, "RETRIEVE_QUERY")})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_database_is_a_configuration_error_naming_the_database_flag()
    {
        var db = await BackendAsync();
        await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(("retrieve-query", "SELECT 1"), ("database", "no_such_db_procx")));
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains($"-{db.Prefix}-database/-{db.Prefix}-user ({Env(db, "DATABASE")}/{Env(db, "USER")})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_key_on_push_is_a_data_error()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("dup");
        await db.ExecAsync($"CREATE TABLE {table} (id INT PRIMARY KEY)");
        try
        {
            await using var sink = DriverFactory.Sink(SqlBackend.Registry, db.Driver, db.Flags(("query", $"INSERT INTO {table} (id) VALUES ({db.P(1)})"), ("params", "{{id}}")));
            await sink.PushAsync(Payload.FromBytes("{\"id\":1}"u8.ToArray()), Ct);
            var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("{\"id\":1}"u8.ToArray()), Ct));
            Assert.Equal(FailureKind.Data, error.Kind);
            Assert.Contains($"-{db.Prefix}-query", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Procx_with_a_bad_host_names_the_host_and_the_flag_not_a_socket_exception()
    {
        var db = await BackendAsync();
        var result = await ToolRunner.RunAsync(ToolRunner.Procx, [.. db.Args(("retrieve-query", "SELECT 1"), ("host", "no-such-host.invalid")), "true"]);
        Assert.Equal(ExitCodes.Unavailable, result.ExitCode);
        Assert.Contains($"cannot reach {db.Driver} at no-such-host.invalid:{db.Port} (host not found", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"-{db.Prefix}-host", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(Env(db, "HOST"), result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("SocketException", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Procx_daemon_with_a_typo_in_the_clear_query_stops_with_78_naming_it_and_the_row_stays()
    {
        var db = await BackendAsync();
        var table = await PendingTableAsync(db);
        try
        {
            var result = await ToolRunner.RunAsync(ToolRunner.Procx, [.. db.Args(
                ("retrieve-query", db.ClaimQuery(table, "id, work", "status = 'pending'")),
                ("clear-query", $"UPDATE {table} SET statuss = 'done' WHERE id = {db.P(1)}"),
                ("clear-params", "{{0.id}}")), "-daemon", "-daemon-interval", "100", "true"], timeout: TimeSpan.FromSeconds(60));
            Assert.True(result.ExitCode == ExitCodes.Config, result.ToString());
            Assert.Contains($"-{db.Prefix}-clear-query", result.Stderr, StringComparison.Ordinal);
            Assert.Contains(Env(db, "CLEAR_QUERY"), result.Stderr, StringComparison.Ordinal);
            // One line per event: every line is a log line or procx's final error, none a continuation.
            Assert.All(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), line =>
                Assert.True(line.StartsWith("20", StringComparison.Ordinal) || line.StartsWith("procx: ", StringComparison.Ordinal), line));
            Assert.Equal("pending", Assert.Single(await db.QueryAsync($"SELECT status FROM {table}"))[0]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }
}

public sealed class PostgresErrorTests : SqlErrorTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class MariaDbErrorTests : SqlErrorTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}
