using System.Globalization;
using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Npgsql;
using Procx.Client;
using Xunit;

namespace Procx.Client.Tests;

/// <summary>The library against a real redis-server and PostgreSQL (tests/services/start.sh starts both).</summary>
public sealed class ServerClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, string> Redis(string key)
    {
        var address = TestServices.Require("PROCX_TEST_REDIS", "a redis-server");
        TestServices.Announce("redis", $"redis-server at {address}");
        var colon = address.LastIndexOf(':');
        return new() { ["redis-host"] = address[..colon], ["redis-port"] = address[(colon + 1)..], ["redis-key"] = key };
    }

    [Fact]
    public async Task Pushed_to_redis_list_taken_and_completed_in_process()
    {
        var settings = Redis($"client-{Guid.NewGuid():N}");
        await PushxClient.PushAsync("redis-list", settings, "{\"id\":1}"u8.ToArray(), Ct);
        await PushxClient.PushAsync("redis-list", settings, "{\"id\":2}"u8.ToArray(), Ct);

        await using var source = ProcxClient.OpenSource("redis-list", settings);
        var taken = new List<string>();
        while (await source.TakeAsync(cancellationToken: Ct) is { } work)
        {
            await using (work)
            {
                taken.Add(Encoding.UTF8.GetString(await work.ReadAllBytesAsync(Ct)));
                await work.CompleteAsync(Ct);
            }
        }

        Assert.Equal(["{\"id\":1}", "{\"id\":2}"], taken.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_redis_is_transient_naming_the_settings_as_procx_does()
    {
        var settings = new Dictionary<string, string> { ["redis-host"] = "127.0.0.1", ["redis-port"] = "1", ["redis-key"] = "k" };
        await using var source = ProcxClient.OpenSource("redis-list", settings);

        var e = await Assert.ThrowsAsync<ProcxException>(() => source.TakeAsync(cancellationToken: Ct));

        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Equal(69, e.ExitCode);
        Assert.Contains("-redis-host", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_postgres_row_is_taken_and_its_clear_statement_runs_on_complete()
    {
        var connection = new NpgsqlConnectionStringBuilder(TestServices.Require("PROCX_TEST_POSTGRES", "a PostgreSQL server"));
        TestServices.Announce("postgres", $"PostgreSQL at {connection.Host}:{connection.Port}");
        var table = $"client_{Guid.NewGuid():N}"[..20];
        await using var db = NpgsqlDataSource.Create(connection.ConnectionString);
        await db.CreateCommand($"CREATE TABLE {table} (id serial PRIMARY KEY, work text, status text DEFAULT 'pending'); INSERT INTO {table} (work) VALUES ('hello')").ExecuteNonQueryAsync(Ct);
        try
        {
            await using var source = ProcxClient.OpenSource("postgres", new Dictionary<string, string>
            {
                ["psql-host"] = connection.Host!,
                ["psql-port"] = connection.Port.ToString(CultureInfo.InvariantCulture),
                ["psql-user"] = connection.Username!,
                ["psql-password"] = connection.Password!,
                ["psql-database"] = connection.Database!,
                ["psql-retrieve-query"] = $"SELECT id, work FROM {table} WHERE status = 'pending' LIMIT 1 FOR UPDATE SKIP LOCKED",
                ["psql-retrieve-field"] = "work",
                ["psql-clear-query"] = $"UPDATE {table} SET status = 'done' WHERE id = $1",
                ["psql-clear-params"] = "{{0.id}}",
            });
            await using (var work = await source.TakeAsync(cancellationToken: Ct))
            {
                Assert.Equal("hello"u8.ToArray(), await work!.ReadAllBytesAsync(Ct));
                await work.CompleteAsync(Ct);
            }
            Assert.Equal("done", await db.CreateCommand($"SELECT status FROM {table}").ExecuteScalarAsync(Ct));
        }
        finally
        {
            await db.CreateCommand($"DROP TABLE {table}").ExecuteNonQueryAsync(CancellationToken.None);
        }
    }
}
