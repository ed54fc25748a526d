using Drivers.Conformance;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>
/// Two procx daemons (-exit-when-empty, 4 slots each) drain 500 rows; each job's child is pushx recording
/// the row id in a results table. With the claim pattern (FOR UPDATE SKIP LOCKED / UPDLOCK, READPAST in the
/// transaction held until clear) every row is processed exactly once. The same run with the original's
/// plain SELECT is measured too, to show what the pattern prevents.
/// </summary>
public abstract class SqlExactlyOnceTests
{
    private const int Rows = 500;

    protected abstract Task<SqlBackend> BackendAsync();

    [Fact]
    public async Task Two_daemons_with_the_claim_pattern_process_each_row_exactly_once()
    {
        var db = await BackendAsync();
        var (processed, distinct) = await DrainAsync(db, claim: true);
        TestContext.Current.SendDiagnosticMessage($"[measure] {db.Driver} claim pattern: {processed} jobs for {Rows} rows, {processed - distinct} duplicates");
        Assert.Equal(Rows, distinct);
        Assert.Equal(Rows, processed);
    }

    [Fact]
    public async Task Without_the_claim_pattern_rows_are_processed_twice()
    {
        var db = await BackendAsync();
        var (processed, distinct) = await DrainAsync(db, claim: false);
        TestContext.Current.SendDiagnosticMessage($"[measure] {db.Driver} plain SELECT, statement mode: {processed} jobs for {Rows} rows, {processed - distinct} duplicates");
        // Every row is still processed; the point of the measurement is the duplicates (docs/sql.md).
        Assert.Equal(Rows, distinct);
    }

    private static async Task<(long Processed, long Distinct)> DrainAsync(SqlBackend db, bool claim)
    {
        var jobs = SqlBackend.NewTable("many");
        var results = SqlBackend.NewTable("done");
        await db.ExecAsync($"CREATE TABLE {jobs} (id {db.AutoId}, work {db.ShortText}, status {db.ShortText})");
        await db.ExecAsync($"CREATE TABLE {results} (job_id INT NOT NULL, worker {db.ShortText})");
        try
        {
            var values = string.Join(", ", Enumerable.Range(1, Rows).Select(i => $"('job {i}', 'pending')"));
            await db.ExecAsync($"INSERT INTO {jobs} (work, status) VALUES {values}");
            var retrieve = claim
                ? db.ClaimQuery(jobs, "id, work", $"status = {db.P(1)}")
                : db.PlainQuery(jobs, "id, work", $"status = {db.P(1)}");
            var workers = new[] { "a", "b" }.Select(worker =>
            {
                var env = db.Env("PROCX",
                    ("retrieve-query", retrieve),
                    ("retrieve-params", "pending"),
                    ("clear-query", $"UPDATE {jobs} SET status = {db.P(1)} WHERE id = {db.P(2)}"),
                    ("clear-params", "done,{{0.id}}"),
                    ("transaction", claim ? "job" : "statement"));
                env["PROCX_EXIT_WHEN_EMPTY"] = "true";
                env["PROCX_CONCURRENCY"] = "4";
                env["PROCX_DAEMON_INTERVAL"] = "100";
                env["PROCX_PASS_WORK_AS_STDIN"] = "true";
                // The child: pushx records which row it got, from procx's payload (the JSON rows).
                foreach (var (k, v) in db.Env("PUSHX",
                    ("query", $"INSERT INTO {results} (job_id, worker) VALUES ({db.P(1)}, {db.P(2)})"),
                    ("params", "{{0.id}}," + worker)))
                {
                    env[k] = v;
                }
                env["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH");
                return ToolRunner.RunAsync(ToolRunner.Procx, ["pushx"], env, timeout: TimeSpan.FromMinutes(4));
            }).ToList();
            foreach (var result in await Task.WhenAll(workers))
            {
                Assert.True(result.ExitCode == 0, result.ToString());
            }
            Assert.Equal(0, await db.CountAsync($"SELECT COUNT(*) FROM {jobs} WHERE status <> 'done'"));
            var processed = await db.CountAsync($"SELECT COUNT(*) FROM {results}");
            var distinct = await db.CountAsync($"SELECT COUNT(DISTINCT job_id) FROM {results}");
            return (processed, distinct);
        }
        finally
        {
            await db.DropAsync(jobs);
            await db.DropAsync(results);
        }
    }
}

public sealed class PostgresExactlyOnceTests : SqlExactlyOnceTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.PostgresAsync();
}

public sealed class MariaDbExactlyOnceTests : SqlExactlyOnceTests
{
    protected override Task<SqlBackend> BackendAsync() => SqlBackend.MariaDbAsync();
}
