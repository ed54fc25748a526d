using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Worker.FaultTests;

/// <summary>-concurrency over a source without batch fetches: one blocking move per slot.</summary>
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Redis_list_slots_run_every_item_once_and_never_more_than_the_slots(int concurrency)
    {
        var (host, port) = Redis.Shared();
        using var redis = Redis.Connect(host, port);
        var key = Redis.NewKey("concurrency");
        var items = Enumerable.Range(1, 16).Select(i => $"c{i:D2}").ToList();
        await redis.GetDatabase().ListRightPushAsync(key, items.Select(i => (RedisValue)i).ToArray());

        var drain = await ConcurrentDrain.RunAsync(Redis.BridgeEnv(host, port, key, sink: key + "-unused"), concurrency);

        Assert.Equal(items, drain.Payloads.Order(StringComparer.Ordinal));
        Assert.InRange(drain.MaxOverlap, Math.Min(2, concurrency), concurrency);
        Assert.Equal(0, await redis.GetDatabase().ListLengthAsync(key));
    }
}
