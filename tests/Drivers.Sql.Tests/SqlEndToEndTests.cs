using System.Diagnostics;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// The SQL drivers through the real, published procx and pushx: the original README's postgres example and
/// its failure path, nested pushx params, injection attempts landing as data, the env-var form, and a killed
/// procx rolling back its claim.
/// </summary>
public abstract class SqlEndToEndTests
{
    protected abstract Task<SqlBackend> BackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> JobsTableAsync(SqlBackend db, params string[] works)
    {
        var table = SqlBackend.NewTable("jobs");
        await db.ExecAsync($"CREATE TABLE {table} (id {db.AutoId}, work {db.Text}, status {db.ShortText}, failure_count INT NOT NULL DEFAULT 0)");
        foreach (var work in works)
        {
            await db.ExecAsync($"INSERT INTO {table} (work, status) VALUES ({db.P(1)}, {db.P(2)})", work, "pending");
        }
        return table;
    }

    /// <summary>The README example: retrieve a pending job, child cat, clear marks it done.</summary>
    private static (string, string)[] Readme(SqlBackend db, string table) =>
    [
        ("retrieve-query", db.PlainQuery(table, "id, work", $"status = {db.P(1)}")),
        ("retrieve-params", "pending"),
        ("retrieve-field", "0.work"),
        ("clear-query", $"UPDATE {table} SET status = {db.P(1)} WHERE id = {db.P(2)}"),
        ("clear-params", "cleared,{{0.id}}"),
        ("fail-query", $"UPDATE {table} SET failure_count = failure_count + 1 WHERE id = {db.P(1)}"),
        ("fail-params", "{{0.id}}"),
    ];

    [Fact]
    public async Task Readme_example_runs_the_job_and_clears_it()
    {
        var (result, row) = await RunOnOneJobAsync("hello from the database", viaEnv: false, "cat");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("hello from the database", result.StdoutText);
        Assert.Equal(["cleared", 0L], row);
    }

    [Fact]
    public async Task Readme_failure_path_increments_failure_count_and_keeps_the_job()
    {
        var (result, row) = await RunOnOneJobAsync("will fail", viaEnv: false, "sh", "-c", "cat >/dev/null; exit 3");
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Equal(["pending", 1L], row);
    }

    [Fact]
    public async Task Env_var_form_runs_the_readme_example()
    {
        var (result, row) = await RunOnOneJobAsync("from env", viaEnv: true, "cat");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("from env", result.StdoutText);
        Assert.Equal(["cleared", 0L], row);
    }

    /// <summary>Runs the README example over a one-row jobs table; returns procx's result and the row's (status, failure_count) after it.</summary>
    private async Task<(ToolResult Result, object?[] Row)> RunOnOneJobAsync(string work, bool viaEnv, params string[] command)
    {
        var db = await BackendAsync();
        var table = await JobsTableAsync(db, work);
        try
        {
            ToolResult result;
            if (viaEnv)
            {
                var env = db.Env("PROCX", Readme(db, table));
                env["PROCX_PASS_WORK_AS_STDIN"] = "true";
                result = await ToolRunner.RunAsync(ToolRunner.Procx, command, env);
            }
            else
            {
                result = await ToolRunner.RunAsync(ToolRunner.Procx, [.. db.Args(Readme(db, table)), "-pass-work-as-stdin", .. command]);
            }
            var row = Assert.Single(await db.QueryAsync($"SELECT status, failure_count FROM {table}"));
            return (result, [row[0], Convert.ToInt64(row[1], System.Globalization.CultureInfo.InvariantCulture)]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Pushx_inserts_nested_fields_and_injection_lands_as_data()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("people");
        await db.ExecAsync($"CREATE TABLE {table} (id INT, name {db.ShortText}, street {db.ShortText})");
        try
        {
            var query = $"INSERT INTO {table} (id, name, street) VALUES ({db.P(1)}, {db.P(2)}, {db.P(3)})";
            var args = db.Args(("query", query), ("params", "{{id}},{{name}},{{address.street}}"));
            var john = await ToolRunner.RunAsync(ToolRunner.Pushx, args, stdin: """{"id":1,"name":"John","address":{"street":"123 Main St"}}"""u8.ToArray());
            Assert.True(john.ExitCode == 0, john.ToString());

            // The env form, with the originals' *_QUERY_PARAMS name; the value tries to end the statement.
            var env = db.Env("PUSHX", ("query", query));
            env[$"PUSHX_{db.Prefix.ToUpperInvariant()}_QUERY_PARAMS"] = "{{id}},{{name}},{{address.street}}";
            var evil = "'); DROP TABLE " + table + "; --";
            var attack = await ToolRunner.RunAsync(ToolRunner.Pushx, [], env,
                stdin: System.Text.Encoding.UTF8.GetBytes(new System.Text.Json.Nodes.JsonObject
                {
                    ["id"] = 2,
                    ["name"] = evil,
                    ["address"] = new System.Text.Json.Nodes.JsonObject { ["street"] = "x\", 1); --" },
                }.ToJsonString()));
            Assert.True(attack.ExitCode == 0, attack.ToString());

            var rows = await db.QueryAsync($"SELECT id, name, street FROM {table} ORDER BY id");
            Assert.Equal(2, rows.Count);
            Assert.Equal(["John", "123 Main St"], [rows[0][1], rows[0][2]]);
            Assert.Equal([evil, "x\", 1); --"], [rows[1][1], rows[1][2]]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Pushx_refuses_input_that_is_not_json_when_params_read_fields_and_binds_null_for_a_missing_one()
    {
        var db = await BackendAsync();
        var table = SqlBackend.NewTable("people");
        await db.ExecAsync($"CREATE TABLE {table} (id INT, name {db.ShortText})");
        try
        {
            var args = db.Args(("query", $"INSERT INTO {table} (id, name) VALUES ({db.P(1)}, {db.P(2)})"), ("params", "{{id}},{{name}}"));
            var notJson = await ToolRunner.RunAsync(ToolRunner.Pushx, args, stdin: "not json"u8.ToArray());
            Assert.True(notJson.ExitCode == 65, notJson.ToString());
            Assert.Contains($"-{db.Prefix}-params", notJson.Stderr);
            Assert.Contains("the input is not JSON, so it has no field 'id'", notJson.Stderr);
            Assert.Empty(await db.QueryAsync($"SELECT id FROM {table}"));

            // A field one JSON input lacks still binds NULL, as in the originals (documented).
            var partial = await ToolRunner.RunAsync(ToolRunner.Pushx, args, stdin: """{"id":3}"""u8.ToArray());
            Assert.True(partial.ExitCode == 0, partial.ToString());
            var row = Assert.Single(await db.QueryAsync($"SELECT id, name FROM {table}"));
            Assert.Equal(3L, Convert.ToInt64(row[0], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Null(row[1]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    [Fact]
    public async Task Killed_procx_rolls_back_its_claim()
    {
        var db = await BackendAsync();
        var table = await JobsTableAsync(db, "long job");
        try
        {
            var flags = Readme(db, table).ToList();
            flags[0] = ("retrieve-query", db.ClaimQuery(table, "id, work", $"status = {db.P(1)}"));
            var started = Path.Combine(Path.GetTempPath(), $"procx-sql-started-{Guid.NewGuid():N}");
            var procx = ToolRunner.Start(ToolRunner.Procx, [.. db.Args([.. flags]), "sh", "-c", $"touch '{started}'; sleep 60"]);
            try
            {
                // Probe only once the job runs: a probe's own momentary lock would make procx's SKIP LOCKED
                // claim find nothing, and a one-shot procx with no work exits.
                await WaitUntilAsync(() => Task.FromResult(File.Exists(started) || procx.HasExited), "the job to start");
                if (procx.HasExited)
                {
                    Assert.Fail($"procx exited {procx.ExitCode} before its job started: {await procx.StandardError.ReadToEndAsync(Ct)}");
                }
                File.Delete(started);
                // While the job runs its row is locked: the claim query from another session finds nothing.
                await WaitUntilAsync(async () => !await ClaimableAsync(db, table), "the row to be claimed");
                procx.Kill(entireProcessTree: true);
                await procx.WaitForExitAsync(Ct);
                await WaitUntilAsync(() => ClaimableAsync(db, table), "the row to be released");
            }
            finally
            {
                if (!procx.HasExited)
                {
                    procx.Kill(entireProcessTree: true);
                }
                procx.Dispose();
            }
            var row = Assert.Single(await db.QueryAsync($"SELECT status, failure_count FROM {table}"));
            Assert.Equal("pending", row[0]);
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    /// <summary>True when another session can claim a pending row now (the claim query with SKIP LOCKED/READPAST returns it).</summary>
    private static async Task<bool> ClaimableAsync(SqlBackend db, string table)
    {
        await using var connection = await db.Admin.OpenConnectionAsync(Ct);
        await using var tx = await connection.BeginTransactionAsync(Ct);
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = db.ClaimQuery(table, "id", "status = 'pending'");
        var found = await command.ExecuteScalarAsync(Ct) is not null;
        await tx.RollbackAsync(Ct);
        return found;
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out after {seconds}s waiting for {what}");
            }
            await Task.Delay(100, Ct);
        }
    }
}

public sealed class PostgresEndToEndTests : SqlEndToEndTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class MariaDbEndToEndTests : SqlEndToEndTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}
