using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Worker.FaultTests;

/// <summary>
/// A move whose reply was lost with the connection leaves an item in a live worker's processing list
/// with no job for it. The test puts one there by hand, exactly what the server would have left.
/// </summary>
public sealed class LostReplyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_item_in_a_live_workers_processing_list_without_a_job_is_returned_and_run()
    {
        using var queue = await FilledQueue.CreateAsync("lost-reply", 1);
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            ["-daemon", "-daemon-interval", "200", "-redis-list-lease", "3s", "bash", "-c", "printf %s \"$PROCX_PAYLOAD\" | \"$PUSHX\""], queue.Env);
        var stderr = procx.StandardError.ReadToEndAsync(Ct);
        await FaultTests.WaitUntil(async () => await queue.Db.ListLengthAsync(queue.Sink) == 1, TimeSpan.FromSeconds(20), procx);
        var worker = Assert.Single(await queue.Db.SetMembersAsync($"{queue.Key}:workers"));
        var processing = $"{queue.Key}:processing:{worker}";

        await queue.Db.ListLeftPushAsync(processing, "orphan");

        await FaultTests.WaitUntil(async () => await queue.Db.ListLengthAsync(queue.Sink) == 2, TimeSpan.FromSeconds(20), procx);
        Assert.Equal(["item-0001", "orphan"], (await queue.Db.ListRangeAsync(queue.Sink)).Select(v => v.ToString()));
        Assert.Equal(0, await queue.Db.ListLengthAsync(processing));
        procx.Kill();
        await procx.WaitForExitAsync(Ct);
        Assert.Contains("without a job", await stderr, StringComparison.Ordinal);
    }
}
