using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Conformance;

/// <summary>
/// What every source driver must do, run against its real server or emulator. A driver's test class
/// derives from this and supplies a <see cref="ISourceHarness"/> over a fresh, isolated queue/folder/table.
/// </summary>
public abstract class SourceConformanceTests
{
    /// <summary>A fresh harness over an empty, isolated source.</summary>
    protected abstract Task<ISourceHarness> CreateHarnessAsync();

    /// <summary>Payload size for the large-payload test; a driver may lower it where its provider caps messages.</summary>
    protected virtual int LargePayloadBytes => 16 * 1024 * 1024;

    /// <summary>How long a fetch may wait for an item that was just enqueued, or just released.</summary>
    protected virtual TimeSpan FetchWait => TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a failed item may take to come back to a later fetch where the provider delays it (a claim
    /// idle time). A released item gets no such grace: it must come back within <see cref="FetchWait"/>.
    /// </summary>
    protected virtual TimeSpan RedeliveryWait => FetchWait;

    /// <summary>
    /// Non-null for a source that by design cannot redeliver (pub/sub: a message exists only while it is
    /// delivered). The tests that need a failed, released or unsettled item to stay recoverable are then
    /// skipped, visibly, with this reason.
    /// </summary>
    protected virtual string? NoRedeliveryReason => null;

    private void SkipWithoutRedelivery()
    {
        if (NoRedeliveryReason is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    [Fact]
    public async Task Empty_source_returns_no_work()
    {
        await using var harness = await CreateHarnessAsync();
        await using var source = harness.CreateSource();
        var item = await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
        Assert.Null(item);
    }

    [Fact]
    public async Task Clear_removes_the_item()
    {
        await using var harness = await CreateHarnessAsync();
        await harness.EnqueueAsync("{\"id\":1}"u8.ToArray());
        await using var source = harness.CreateSource();
        await using var item = await FetchRequiredAsync(source);
        Assert.Equal(harness.HandedOver("{\"id\":1}"u8.ToArray()), await item.Payload.ReadAllBytesAsync());

        await source.ClearAsync(item, TestContext.Current.CancellationToken);

        Assert.Empty(await harness.RecoverableAsync());
        await using var again = harness.CreateSource();
        Assert.Null(await again.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Fail_leaves_the_item_recoverable()
    {
        SkipWithoutRedelivery();
        await using var harness = await CreateHarnessAsync();
        var payload = "{\"id\":2,\"name\":\"fail me\"}"u8.ToArray();
        await harness.EnqueueAsync(payload);
        await using var source = harness.CreateSource();
        await using var item = await FetchRequiredAsync(source);

        await source.FailAsync(item, TestContext.Current.CancellationToken);

        var recoverable = await harness.RecoverableAsync();
        Assert.Single(recoverable);
        Assert.Equal(payload, recoverable[0]);
    }

    [Fact]
    public async Task Unsettled_item_stays_recoverable()
    {
        SkipWithoutRedelivery();
        // procx killed between fetch and clear: nothing may be lost.
        await using var harness = await CreateHarnessAsync();
        var payload = "{\"id\":3}"u8.ToArray();
        await harness.EnqueueAsync(payload);
        await using (var source = harness.CreateSource())
        {
            var item = await FetchRequiredAsync(source);
            _ = await item.Payload.ReadAllBytesAsync();
        }
        var recoverable = await harness.RecoverableAsync();
        Assert.Single(recoverable);
        Assert.Equal(payload, recoverable[0]);
    }

    [Fact]
    public async Task Binary_payload_round_trips_byte_exact()
    {
        await using var harness = await CreateHarnessAsync();
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff, 0xfe, 0x0d, 0x0a, 0xc3, 0x28 }).ToArray();
        await harness.EnqueueAsync(payload);
        await using var source = harness.CreateSource();
        await using var item = await FetchRequiredAsync(source);
        Assert.Equal(harness.HandedOver(payload), await item.Payload.ReadAllBytesAsync());
        await source.ClearAsync(item, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Large_payload_streams_intact()
    {
        await using var harness = await CreateHarnessAsync();
        var payload = RandomNumberGenerator.GetBytes(LargePayloadBytes);
        await harness.EnqueueAsync(payload);
        await using var source = harness.CreateSource();
        await using var item = await FetchRequiredAsync(source);
        await using (var stream = item.Payload.OpenRead())
        {
            var hash = await SHA256.HashDataAsync(stream, TestContext.Current.CancellationToken);
            Assert.Equal(SHA256.HashData(harness.HandedOver(payload)), hash);
        }
        await source.ClearAsync(item, TestContext.Current.CancellationToken);
        Assert.Empty(await harness.RecoverableAsync());
    }

    [Fact]
    public async Task Each_job_settles_from_its_own_state()
    {
        SkipWithoutRedelivery();
        // Two jobs in flight at once; clearing the second must not touch the first (the Go original's
        // daemon rewrote its templates in place, so job 2 cleared job 1's row).
        await using var harness = await CreateHarnessAsync();
        var first = "{\"id\":10,\"name\":\"first\"}"u8.ToArray();
        var second = "{\"id\":20,\"name\":\"second\"}"u8.ToArray();
        await harness.EnqueueAsync(first);
        await harness.EnqueueAsync(second);
        await using var source = harness.CreateSource();
        await using var a = await FetchRequiredAsync(source);
        await using var b = await FetchRequiredAsync(source);
        var bytesA = await a.Payload.ReadAllBytesAsync();
        var bytesB = await b.Payload.ReadAllBytesAsync();
        Assert.NotEqual(bytesA, bytesB);

        await source.ClearAsync(b, TestContext.Current.CancellationToken);
        await source.FailAsync(a, TestContext.Current.CancellationToken);

        var recoverable = await harness.RecoverableAsync();
        Assert.Single(recoverable);
        Assert.Equal(bytesA, harness.HandedOver(recoverable[0]));
    }

    [Fact]
    public async Task Failed_item_is_fetched_again_or_found_set_aside()
    {
        SkipWithoutRedelivery();
        // A fail that does nothing must not pass: the item has to reach a later fetch (or its fail place).
        await using var harness = await CreateHarnessAsync();
        var payload = "{\"id\":4,\"name\":\"fail and retry\"}"u8.ToArray();
        await harness.EnqueueAsync(payload);
        await using var source = harness.CreateSource();
        await using (var item = await FetchRequiredAsync(source))
        {
            await source.FailAsync(item, TestContext.Current.CancellationToken);
        }

        if (source.FailSetsAside)
        {
            Assert.Equal(new[] { payload }, await harness.RecoverableAsync()); // at the fail place …
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken)); // … out of the next fetch's way
        }
        else
        {
            await using var again = await FetchRequiredAsync(source, RedeliveryWait);
            Assert.Equal(harness.HandedOver(payload), await again.Payload.ReadAllBytesAsync());
        }
        if (await harness.FailedAsync() is { } failed)
        {
            Assert.Equal(new[] { payload }, failed); // the fail op ran
        }
    }

    [Fact]
    public async Task Released_item_comes_back_unchanged_without_the_fail_op()
    {
        SkipWithoutRedelivery();
        await using var harness = await CreateHarnessAsync();
        var payload = "{\"id\":5,\"name\":\"release me\"}"u8.ToArray();
        await harness.EnqueueAsync(payload);
        await using var source = harness.CreateSource();
        await using var first = await FetchRequiredAsync(source);
        _ = await first.Payload.ReadAllBytesAsync();

        await source.ReleaseAsync(first, TestContext.Current.CancellationToken);

        // The same procx gets it back promptly (no claim idle time, no visibility timeout to wait out).
        await using var again = await FetchRequiredAsync(source);
        Assert.Equal(harness.HandedOver(payload), await again.Payload.ReadAllBytesAsync());
        Assert.Equal(first.Key, again.Key);
        Assert.Equal(first.Id, again.Id);
        if (first.DeliveryCount is { } count)
        {
            Assert.Equal(count, again.DeliveryCount); // a release is not a failed attempt
        }
        if (await harness.FailedAsync() is { } failed)
        {
            Assert.Empty(failed); // no fail op ran
        }
        await source.ClearAsync(again, TestContext.Current.CancellationToken);
        Assert.Empty(await harness.RecoverableAsync());
    }

    [Fact]
    public async Task Released_item_is_fetched_at_once_by_the_next_procx()
    {
        SkipWithoutRedelivery();
        // Shutdown releases what it could not finish: the procx that starts next must not wait for a lease.
        await using var harness = await CreateHarnessAsync();
        var payload = "{\"id\":6,\"name\":\"hand me over\"}"u8.ToArray();
        await harness.EnqueueAsync(payload);
        await using (var stopping = harness.CreateSource())
        {
            await using var item = await FetchRequiredAsync(stopping);
            await stopping.ReleaseAsync(item, TestContext.Current.CancellationToken);
        }
        await using var next = harness.CreateSource();
        await using var again = await FetchRequiredAsync(next);
        Assert.Equal(harness.HandedOver(payload), await again.Payload.ReadAllBytesAsync());
        if (await harness.FailedAsync() is { } failed)
        {
            Assert.Empty(failed);
        }
    }

    protected Task<WorkItem> FetchRequiredAsync(ISourceDriver source) => FetchRequiredAsync(source, FetchWait);

    /// <summary>Fetches until an item comes, failing the test once <paramref name="within"/> has passed.</summary>
    protected async Task<WorkItem> FetchRequiredAsync(ISourceDriver source, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var remaining = deadline - DateTime.UtcNow;
            var wait = remaining < FetchWait ? (remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero) : FetchWait;
            var item = await source.FetchAsync(wait, TestContext.Current.CancellationToken);
            if (item is not null)
            {
                return item;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"the source returned no work within {within.TotalSeconds:0.#}s although an item was waiting");
            }
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>A driver's window on one isolated source, for the conformance suite.</summary>
public interface ISourceHarness : IAsyncDisposable
{
    /// <summary>Builds the driver under test over this source (a new instance per call: a new procx).</summary>
    ISourceDriver CreateSource();

    /// <summary>Puts one item into the source with the provider's own client, not the driver.</summary>
    Task EnqueueAsync(byte[] payload);

    /// <summary>
    /// The payloads of every item still recoverable: waiting in the source, in flight but not settled, or
    /// moved to the fail location. Read with the provider's own client.
    /// </summary>
    Task<IReadOnlyList<byte[]>> RecoverableAsync();

    /// <summary>
    /// The bytes the driver must hand over for an enqueued <paramref name="payload"/>: the payload itself,
    /// unless the provider can only store it in another form (DynamoDB strings: the harness stores base64
    /// text, and the child gets that text). The suite compares what the driver hands over with this; a
    /// harness never wraps the driver to transform it back.
    /// </summary>
    byte[] HandedOver(byte[] payload) => payload;

    /// <summary>
    /// The payloads the fail op has left its mark on (a failures column, a failed flag, the fail folder),
    /// read with the provider's own client; null when this harness's fail op leaves no trace of its own
    /// (a requeue). Lets the suite check that a release runs no fail op.
    /// </summary>
    Task<IReadOnlyList<byte[]>?> FailedAsync() => Task.FromResult<IReadOnlyList<byte[]>?>(null);
}
