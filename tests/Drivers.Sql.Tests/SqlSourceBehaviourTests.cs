using Drivers.Core.Contracts;
using System.Text;
using Drivers.Conformance;
using Drivers.Core;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// Source modes beyond the conformance suite, in-process on the real servers: the original's query-key,
/// statement mode with an atomic claim, the fail statement sharing the job's transaction, and a bad
/// retrieve field.
/// </summary>
public abstract class SqlSourceBehaviourTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(SqlBackend Db, string Table)> TableAsync(params string[] works)
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("beh");
        await db.ExecAsync($"CREATE TABLE {table} (id {db.AutoId}, work {db.ShortText}, status {db.ShortText}, failure_count INT NOT NULL DEFAULT 0)");
        foreach (var work in works)
        {
            await db.ExecAsync($"INSERT INTO {table} (work, status) VALUES ({db.P(1)}, 'pending')", work);
        }
        return (db, table);
    }

    [Fact]
    public async Task The_payload_column_is_read_as_bytes_and_still_renders_where_a_clear_param_reads_it()
    {
        var (db, table) = await TableAsync("héllo wörld");
        try
        {
            await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
                ("retrieve-query", db.ClaimQuery(table, "id, work", "status = 'pending'")),
                ("retrieve-field", "work"),
                ("clear-query", $"UPDATE {table} SET status = {db.P(1)} WHERE id = {db.P(2)}"),
                ("clear-params", "done: {{0.work}},{{0.id}}")));
            await using (var item = await source.FetchAsync(TimeSpan.Zero, Ct))
            {
                Assert.NotNull(item);
                Assert.Equal("héllo wörld", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
                await source.ClearAsync(item, Ct);
            }
            Assert.Equal("done: héllo wörld", (await db.QueryAsync($"SELECT status FROM {table}"))[0][0]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Fail_statement_commits_with_the_job_and_releases_the_row()
    {
        var (db, table) = await TableAsync("a");
        try
        {
            await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
                ("retrieve-query", db.ClaimQuery(table, "id, work", "status = 'pending'")),
                ("fail-query", $"UPDATE {table} SET failure_count = failure_count + 1 WHERE id = {db.P(1)}"),
                ("fail-params", "{{0.id}}")));
            await using (var item = await source.FetchAsync(TimeSpan.Zero, Ct))
            {
                Assert.NotNull(item);
                // Held by this job: a second fetch (another slot) skips the locked row.
                Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
                await source.FailAsync(item, Ct);
            }
            Assert.Equal(1L, await db.CountAsync($"SELECT failure_count FROM {table}"));
            await using var again = await source.FetchAsync(TimeSpan.Zero, Ct);
            Assert.NotNull(again);
            await source.ClearAsync(again, Ct);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Retrieve_field_that_is_not_in_the_rows_is_a_data_error_and_releases_the_row()
    {
        var (db, table) = await TableAsync("a");
        try
        {
            await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
                ("retrieve-query", db.ClaimQuery(table, "id, work", "status = 'pending'")),
                ("retrieve-field", "0.wrok")));
            var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
            Assert.Equal(FailureKind.Data, error.Kind);
            Assert.Contains("columns: id, work", error.Message, StringComparison.Ordinal);
            Assert.Equal(1L, await db.CountAsync($"SELECT COUNT(*) FROM {table} WHERE status = 'pending'"));
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Statement_mode_commits_each_query_on_its_own()
    {
        var (db, table) = await TableAsync("a", "b");
        try
        {
            // The original's behaviour: nothing is held while the job runs, so the retrieve must claim by itself
            // (here: the fail query, which commits at once, is what changes the row).
            await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(
                ("retrieve-query", db.PlainQuery(table, "id, work", "status = 'pending'")),
                ("retrieve-field", "work"),
                ("transaction", "statement"),
                ("fail-query", $"UPDATE {table} SET status = {db.P(1)} WHERE id = {db.P(2)}"),
                ("fail-params", "\"failed, for good\",{{0.id}}")));
            await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
            Assert.NotNull(item);
            Assert.Equal("a", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
            // Not locked: another session still sees the row as pending.
            Assert.Equal(2L, await db.CountAsync($"SELECT COUNT(*) FROM {table} WHERE status = 'pending'"));
            await source.FailAsync(item, Ct);
            Assert.Equal("failed, for good", (await db.QueryAsync($"SELECT status FROM {table} WHERE work = 'a'"))[0][0]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }
}

public sealed class PostgresSourceBehaviourTests : SqlSourceBehaviourTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();

    [Fact]
    public async Task Query_key_mode_passes_the_second_column_and_binds_key()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("qk");
        await db.ExecAsync($"CREATE TABLE {table} (id SERIAL PRIMARY KEY, work TEXT, status TEXT)");
        await db.ExecAsync($"INSERT INTO {table} (work, status) VALUES ('the work', 'pending')");
        try
        {
            // An atomic claim in statement mode: the UPDATE … RETURNING itself takes the row.
            await using var source = DriverFactory.Source(SqlBackend.Registry, "postgres", db.Flags(
                ("retrieve-query", $"UPDATE {table} SET status = 'running' WHERE id = (SELECT id FROM {table} WHERE status = 'pending' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, work"),
                ("query-key", "true"),
                ("transaction", "statement"),
                ("clear-query", $"DELETE FROM {table} WHERE id = $1"),
                ("clear-params", "{{key}}")));
            await using var item = await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
            Assert.NotNull(item);
            Assert.Equal("the work", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(TestContext.Current.CancellationToken)));
            Assert.Equal("running", (await db.QueryAsync($"SELECT status FROM {table}"))[0][0]);
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken));
            await source.ClearAsync(item, TestContext.Current.CancellationToken);
            Assert.Equal(0L, await db.CountAsync($"SELECT COUNT(*) FROM {table}"));
        }
        finally
        {
            await db.DropAsync(table);
        }
    }
}

public sealed class MariaDbSourceBehaviourTests : SqlSourceBehaviourTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}
