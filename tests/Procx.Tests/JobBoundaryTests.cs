using Drivers.Core;
using Drivers.Core.Contracts;
using Xunit;

namespace Procx.Tests;

/// <summary>
/// The job boundary, in process: whatever happens inside a job settles that item as the policy table says
/// (clear, fail, hold, park, release, leave) and decides whether the worker stops.
/// </summary>
public sealed class JobBoundaryTests
{
    private static readonly string[] Succeeds = ["true"];
    private static readonly string[] Fails = ["sh", "-c", "exit 3"];

    [Fact]
    public async Task Exit_zero_clears()
    {
        await using var h = new JobHarness(new ScriptedSource(), Succeeds);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(0), result);
        Assert.Equal(["clear:a"], h.Source.Calls);
    }

    [Fact]
    public async Task One_shot_fails_a_failed_item_at_once_with_the_childs_exit_code()
    {
        await using var h = new JobHarness(new ScriptedSource(), Fails);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(3), result);
        Assert.Equal(["fail:a"], h.Source.Calls);
    }

    [Fact]
    public async Task A_daemon_holds_a_failed_item_for_its_backoff_then_fails_it()
    {
        await using var h = new JobHarness(new ScriptedSource(), Fails, daemon: true, backoff: TimeSpan.FromMilliseconds(300));
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(3), result);
        Assert.Empty(h.Source.Calls); // held: not handed back yet, so it cannot be fetched again at once
        Assert.Equal(1, h.Held.Count);
        Assert.True(await JobHarness.EventuallyAsync(() => h.Source.CallsOf("fail").Length == 1), h.Log);
        Assert.Equal(0, h.Held.Count);
    }

    [Fact]
    public async Task A_source_whose_fail_op_sets_items_aside_is_failed_at_once_even_in_a_daemon()
    {
        await using var h = new JobHarness(new ScriptedSource { SetsAside = true }, Fails, daemon: true);
        await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(["fail:a"], h.Source.Calls);
        Assert.Equal(0, h.Held.Count);
    }

    [Fact]
    public async Task Held_items_are_handed_back_when_procx_exits()
    {
        await using var h = new JobHarness(new ScriptedSource(), Fails, daemon: true, backoff: TimeSpan.FromHours(1));
        await h.RunAsync(ScriptedSource.Item("a"));
        await h.RunAsync(ScriptedSource.Item("b"));
        Assert.Equal(2, h.Held.Count);
        await h.Held.ReturnAllAsync();
        Assert.Equal(["fail:a", "fail:b"], h.Source.Calls.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Max_failures_dead_letters_where_the_source_has_a_place()
    {
        await using var h = new JobHarness(new DeadLetterScriptedSource(), Fails, maxFailures: 2);
        await h.RunAsync(ScriptedSource.Item("a"));
        await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(["fail:a", "dead:a"], h.Source.Calls);
    }

    [Fact]
    public async Task Max_failures_counts_the_providers_deliveries_where_it_has_them()
    {
        await using var h = new JobHarness(new DeadLetterScriptedSource(), Fails, maxFailures: 3);
        await h.RunAsync(ScriptedSource.Item("a", deliveryCount: 3));
        Assert.Equal(["dead:a"], h.Source.Calls);
    }

    [Fact]
    public async Task Max_failures_without_a_dead_letter_place_sets_aside_with_the_fail_op()
    {
        await using var h = new JobHarness(new ScriptedSource { SetsAside = true }, Fails, daemon: true, maxFailures: 1);
        await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(["fail:a"], h.Source.Calls);
        Assert.Contains("set aside by the fail op", h.Log);
    }

    [Fact]
    public async Task Max_failures_with_nowhere_to_put_the_item_parks_it_until_exit()
    {
        await using var h = new JobHarness(new ScriptedSource(), Fails, daemon: true, maxFailures: 1, backoff: TimeSpan.FromMilliseconds(1));
        await h.RunAsync(ScriptedSource.Item("a"));
        await Task.Delay(200, TestContext.Current.CancellationToken); // a deferred item would be failed by now; a parked one is not
        Assert.Empty(h.Source.Calls);
        Assert.Equal(1, h.Held.Count);
        Assert.Contains("parked", h.Log);
        await h.Held.ReturnAllAsync();
        Assert.Equal(["fail:a"], h.Source.Calls);
    }

    [Fact]
    public async Task A_clear_that_cannot_succeed_stops_the_worker_and_releases_the_item()
    {
        var source = new ScriptedSource().ThrowAlways("clear", DriverException.Configuration("column \"dnoe\" does not exist (set -psql-clear-query or PROCX_PSQL_CLEAR_QUERY)"));
        await using var h = new JobHarness(source, Succeeds, daemon: true);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.Config, StopWorker: true), result);
        Assert.True(h.Stop.IsRequested);
        Assert.Equal(["clear!:a", "release:a"], h.Source.Calls); // no retries of a wrong setting
        Assert.Contains("-psql-clear-query", h.Log);
    }

    [Fact]
    public async Task A_transient_clear_error_is_retried()
    {
        var source = new ScriptedSource().Throw("clear", DriverException.Transient("redis at 127.0.0.1:6379: connection refused"));
        await using var h = new JobHarness(source, Succeeds);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(0), result);
        Assert.Equal(["clear!:a", "clear:a"], h.Source.Calls);
    }

    [Fact]
    public async Task A_clear_that_keeps_failing_gives_up_with_75_and_leaves_the_item()
    {
        var source = new ScriptedSource().ThrowAlways("clear", DriverException.Transient("unreachable"));
        await using var h = new JobHarness(source, Succeeds);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.TempFail), result);
        Assert.Equal(4, h.Source.CallsOf("clear!").Length); // bounded
        Assert.Empty(h.Source.CallsOf("release"));
        Assert.Empty(h.Source.CallsOf("fail"));
    }

    [Fact]
    public async Task A_lost_claim_is_not_settled()
    {
        var source = new ScriptedSource().ThrowAlways("clear", DriverException.Lost("the lease lapsed"));
        await using var h = new JobHarness(source, Succeeds, daemon: true);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.TempFail), result);
        Assert.Equal(["clear!:a"], h.Source.Calls);
        Assert.False(h.Stop.IsRequested);
    }

    [Fact]
    public async Task A_bug_in_a_clear_is_70_logged_with_its_type_and_the_daemon_goes_on()
    {
        var source = new ScriptedSource().ThrowAlways("clear", new InvalidOperationException("unexpected state"));
        await using var h = new JobHarness(source, Succeeds, daemon: true);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.Internal), result);
        Assert.False(h.Stop.IsRequested);
        Assert.Contains("InvalidOperationException", h.Log);
    }

    [Fact]
    public async Task A_fail_that_rejects_the_item_as_data_parks_it()
    {
        var source = new ScriptedSource { SetsAside = true }.ThrowAlways("fail", DriverException.DataError("-fs-fail-key-template: no field 'id'"));
        await using var h = new JobHarness(source, Fails, daemon: true);
        await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(1, h.Held.Count);
        Assert.False(h.Stop.IsRequested);
    }

    [Fact]
    public async Task A_command_that_cannot_start_stops_with_127_and_releases_the_item()
    {
        await using var h = new JobHarness(new ScriptedSource(), ["/no/such/command"], daemon: true);
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.ChildNotStartable, StopWorker: true), result);
        Assert.Equal(["release:a"], h.Source.Calls);
        Assert.Contains("/no/such/command", h.Log);
    }

    [Fact]
    public async Task A_payload_too_large_for_the_env_var_fails_the_item_with_65()
    {
        await using var h = new JobHarness(new ScriptedSource(), Succeeds);
        var result = await h.RunAsync(ScriptedSource.Item("a", new string('x', 200_000)));
        Assert.Equal(new JobResult(ExitCodes.DataError), result);
        Assert.Equal(["fail:a"], h.Source.Calls);
        Assert.Contains("-pass-work-as-stdin", h.Log);
    }

    [Fact]
    public async Task A_timed_out_child_fails_the_item_with_124()
    {
        await using var h = new JobHarness(new ScriptedSource(), ["sleep", "30"], timeout: TimeSpan.FromMilliseconds(200));
        var result = await h.RunAsync(ScriptedSource.Item("a"));
        Assert.Equal(new JobResult(ExitCodes.Timeout), result);
        Assert.Equal(["fail:a"], h.Source.Calls);
    }

    [Theory]
    [InlineData(null, "a 1")]
    [InlineData(3, "a 3")]
    public async Task The_child_gets_its_job_id_and_attempt(int? deliveryCount, string expected)
    {
        var file = Path.Combine(Path.GetTempPath(), $"procx-job-{Guid.NewGuid():N}");
        try
        {
            await using var h = new JobHarness(new ScriptedSource(), ["sh", "-c", $"printf '%s %s' \"$PROCX_JOB_ID\" \"$PROCX_ATTEMPT\" > {file}"]);
            await h.RunAsync(ScriptedSource.Item("a", deliveryCount: deliveryCount));
            Assert.Equal(expected, await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_attempt_counts_this_processs_failures_of_the_item()
    {
        var file = Path.Combine(Path.GetTempPath(), $"procx-attempt-{Guid.NewGuid():N}");
        try
        {
            await using var h = new JobHarness(new ScriptedSource(), ["sh", "-c", $"echo \"$PROCX_ATTEMPT\" >> {file}; exit 1"]);
            await h.RunAsync(ScriptedSource.Item("a"));
            await h.RunAsync(ScriptedSource.Item("a"));
            Assert.Equal(["1", "2"], await File.ReadAllLinesAsync(file, TestContext.Current.CancellationToken));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
