using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// The shared source suite over a fresh jobs table (id, work blob, status, failures). The retrieve query is
/// the claim pattern of docs/sql.md and -…-retrieve-field selects the blob column, which arrives as raw
/// bytes, so the binary and large-payload cases run unchanged (as gcp-bq's BYTES column does). The fail
/// query counts the failure and leaves the row pending, so a failed job must come back to a later fetch,
/// and a released one must come back with its count still 0.
/// </summary>
public abstract class SqlSourceConformance : SourceConformanceTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("src");
        await db.ExecAsync($"CREATE TABLE {table} (id {db.AutoId}, work {db.Blob}, status {db.ShortText}, failures INT NOT NULL DEFAULT 0)");
        return new Harness(db, table);
    }

    private sealed class Harness(SqlBackend db, string table) : ISourceHarness
    {
        public ISourceDriver CreateSource() => DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
            ("retrieve-query", db.ClaimQuery(table, "id, work", $"status = {db.P(1)}")),
            ("retrieve-params", "pending"),
            ("retrieve-field", "work"),
            ("clear-query", $"DELETE FROM {table} WHERE id = {db.P(1)}"),
            ("clear-params", "{{0.id}}"),
            ("fail-query", $"UPDATE {table} SET failures = failures + 1 WHERE id = {db.P(1)}"),
            ("fail-params", "{{0.id}}")));

        public Task EnqueueAsync(byte[] payload) => db.ExecAsync($"INSERT INTO {table} (work, status) VALUES ({db.P(1)}, {db.P(2)})", payload, "pending");

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            [.. (await db.QueryAsync($"SELECT work FROM {table} ORDER BY id")).Select(r => (byte[])r[0]!)];

        /// <summary>One entry per failure the fail query counted.</summary>
        public async Task<IReadOnlyList<byte[]>?> FailedAsync() =>
            [.. (await db.QueryAsync($"SELECT work, failures FROM {table} WHERE failures > 0 ORDER BY id"))
                .SelectMany(r => Enumerable.Repeat((byte[])r[0]!, Convert.ToInt32(r[1], System.Globalization.CultureInfo.InvariantCulture)))];

        public ValueTask DisposeAsync() => new(db.DropAsync(table));
    }
}

/// <summary>
/// The shared sink suite: each push inserts its fields with nested params. The sink renders templates from
/// JSON and stores no raw bytes, so the byte-exact cases do not apply (as for gcp-bq and aws-dynamo).
/// </summary>
public abstract class SqlSinkConformance : SinkConformanceTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    protected override bool StoresRawBytes => false;

    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("sink");
        await db.ExecAsync($"CREATE TABLE {table} (seq {db.AutoId}, id INT, name {db.ShortText}, street {db.ShortText}, doc {db.Text})");
        return new Harness(db, table);
    }

    private sealed class Harness(SqlBackend db, string table) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(SqlBackend.Registry, db.Driver, db.Flags(
            ("query", $"INSERT INTO {table} (id, name, street, doc) VALUES ({db.P(1)}, {db.P(2)}, {db.P(3)}, {db.P(4)})"),
            ("params", "{{id}},{{name}},{{address.street}},{{pushx_payload}}")));

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            [.. (await db.QueryAsync($"SELECT id, name, street, doc FROM {table} ORDER BY seq")).Select(Check)];

        public void AssertDelivered(byte[] pushed, byte[] received) =>
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pushed), JsonNode.Parse(received)), $"pushed {Encoding.UTF8.GetString(pushed)}, stored {Encoding.UTF8.GetString(received)}");

        public ValueTask DisposeAsync() => new(db.DropAsync(table));

        // The doc column is the whole input ({{pushx_payload}}); the others must agree with it field by field.
        private static byte[] Check(object?[] row)
        {
            var doc = JsonNode.Parse((string)row[3]!)!;
            Assert.Equal(doc["id"]!.GetValue<int>(), Convert.ToInt32(row[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(doc["name"]!.GetValue<string>(), row[1]);
            Assert.Equal(doc["address"]?["street"]?.GetValue<string>(), row[2]);
            return Encoding.UTF8.GetBytes((string)row[3]!);
        }
    }
}

public sealed class PostgresSourceConformanceTests : SqlSourceConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class PostgresSinkConformanceTests : SqlSinkConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class MariaDbSourceConformanceTests : SqlSourceConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}

public sealed class MariaDbSinkConformanceTests : SqlSinkConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}

public sealed class CockroachSourceConformanceTests : SqlSourceConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.CockroachAsync();
}

public sealed class CockroachSinkConformanceTests : SqlSinkConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.CockroachAsync();
}

public sealed class MsSqlSourceConformanceTests : SqlSourceConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MsSqlAsync();
}

public sealed class MsSqlSinkConformanceTests : SqlSinkConformance
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MsSqlAsync();
}
