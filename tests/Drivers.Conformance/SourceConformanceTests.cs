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

    /// <summary>How long a fetch may wait for an item that was just enqueued.</summary>
    protected virtual TimeSpan FetchWait => TimeSpan.FromSeconds(2);

    /// <summary>
    /// Non-null for a source that by design cannot redeliver (pub/sub: a message exists only while it is
    /// delivered). The tests that need a failed or unsettled item to stay recoverable are then skipped,
    /// visibly, with this reason.
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
        Assert.Equal("{\"id\":1}"u8.ToArray(), await item.Payload.ReadAllBytesAsync());

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
        Assert.Equal(payload, await item.Payload.ReadAllBytesAsync());
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
            Assert.Equal(SHA256.HashData(payload), hash);
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
        Assert.Equal(bytesA, recoverable[0]);
    }

    protected async Task<WorkItem> FetchRequiredAsync(ISourceDriver source)
    {
        var deadline = DateTime.UtcNow + FetchWait;
        while (true)
        {
            var item = await source.FetchAsync(FetchWait, TestContext.Current.CancellationToken);
            if (item is not null)
            {
                return item;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("the source returned no work although an item was enqueued");
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
}
