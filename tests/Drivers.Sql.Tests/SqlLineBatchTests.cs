using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// pushx -lines -batch-size into the SQL sinks through the published executable: one batch (one round trip, one
/// transaction) per -batch-size lines, counted from pushx's debug log and, on PostgreSQL, from the transaction
/// ids the rows were written in; every line once with its own params, its text unchanged; a statement the server
/// refuses rolls its whole batch back and every line of it is named; a line whose params cannot be rendered is
/// refused alone while the rest of its batch is written.
/// </summary>
public abstract partial class SqlLineBatchTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Utf8Text(SqlBackend db) => db.IsMySql ? "LONGTEXT CHARACTER SET utf8mb4" : "TEXT";

    [Fact]
    public async Task Lines_go_in_one_transaction_per_batch_each_once_with_its_own_params()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("lines");
        // PostgreSQL: each row records the transaction that wrote it, so the batches are seen from the server too.
        var tx = db.IsMySql ? "" : ", tx BIGINT NOT NULL DEFAULT txid_current()";
        await db.ExecAsync($"CREATE TABLE {table} (n INT NOT NULL, body {Utf8Text(db)} NOT NULL{tx})");
        try
        {
            // Values a statement must never see as SQL or placeholders: quotes, backslashes, ?, $1, ;, tabs, non-ASCII.
            var lines = Enumerable.Range(1, 2500)
                .Select(i => new JsonObject { ["n"] = i, ["s"] = $"it's \\ ? $1 ; \t {i} ünï €😀 '); DROP TABLE {table}; --" }.ToJsonString())
                .ToList();
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "1000"],
                Env(db, $"INSERT INTO {table} (n, body) VALUES ({db.P(1)}, {db.P(2)})", "{{n}},{{pushx_payload}}"),
                Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal([1000, 1000, 500], Batches(r.Stderr));
            var rows = await db.QueryAsync($"SELECT n, body FROM {table} ORDER BY n");
            Assert.Equal(Enumerable.Range(1, 2500), rows.Select(row => Convert.ToInt32(row[0], CultureInfo.InvariantCulture)));
            Assert.Equal(lines, rows.Select(row => (string)row[1]!));
            if (!db.IsMySql)
            {
                var perTransaction = await db.QueryAsync($"SELECT COUNT(*) FROM {table} GROUP BY tx ORDER BY MIN(n)");
                Assert.Equal([1000L, 1000L, 500L], perTransaction.Select(row => Convert.ToInt64(row[0], CultureInfo.InvariantCulture)));
            }
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task A_statement_the_server_refuses_rolls_back_its_batch_and_every_line_of_it_is_named()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("atomic");
        await db.ExecAsync($"CREATE TABLE {table} (id INT PRIMARY KEY)");
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-sql-tee-{Guid.NewGuid():N}");
        try
        {
            // Line 5 repeats id 2: the second batch (lines 4-6) breaks the primary key; line 7 is never read.
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "3", "-out", tee],
                Env(db, $"INSERT INTO {table} (id) VALUES ({db.P(1)})", "{{id}}"),
                "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":2}\n{\"id\":6}\n{\"id\":7}\n"u8.ToArray());

            Assert.True(r.ExitCode == 65, r.ToString()); // the input is wrong: a data error
            Assert.Contains("lines 4-6 were not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("the batch was rolled back", r.Stderr, StringComparison.Ordinal);
            if (!db.IsMySql)
            {
                // Npgsql says which statement failed; MySqlConnector does not.
                Assert.Contains("the statement of the batch's line 2 of 3", r.Stderr, StringComparison.Ordinal);
            }
            var ids = (await db.QueryAsync($"SELECT id FROM {table} ORDER BY id")).Select(row => Convert.ToInt32(row[0], CultureInfo.InvariantCulture));
            Assert.Equal([1, 2, 3], ids);
            Assert.Equal("{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task A_line_whose_params_cannot_be_rendered_is_named_alone_and_the_rest_of_its_batch_is_written()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("render");
        await db.ExecAsync($"CREATE TABLE {table} (id INT PRIMARY KEY)");
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-sql-tee-{Guid.NewGuid():N}");
        try
        {
            // {{id}} reads a field: the second line is not JSON, so it has no values to bind.
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "10", "-out", tee],
                Env(db, $"INSERT INTO {table} (id) VALUES ({db.P(1)})", "{{id}}"), "{\"id\":1}\nnot json\n{\"id\":3}\n"u8.ToArray());

            Assert.True(r.ExitCode == 65, r.ToString());
            Assert.Contains("line 2 was not pushed", r.Stderr, StringComparison.Ordinal);
            var ids = (await db.QueryAsync($"SELECT id FROM {table} ORDER BY id")).Select(row => Convert.ToInt32(row[0], CultureInfo.InvariantCulture));
            Assert.Equal([1, 3], ids);
            Assert.Equal("{\"id\":1}\n{\"id\":3}\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
            await db.DropAsync(table);
        }
    }

    private static Dictionary<string, string> Env(SqlBackend db, string query, string parameters)
    {
        var env = db.Env("PUSHX", ("query", query), ("params", parameters));
        env["LOG_LEVEL"] = "debug";
        return env;
    }

    private static List<int> Batches(string stderr) =>
        [.. BatchLine().Matches(stderr).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"batch pushed.*?lines=(\d+)")]
    private static partial Regex BatchLine();
}

public sealed class PostgresLineBatchTests : SqlLineBatchTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class MariaDbLineBatchTests : SqlLineBatchTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}
