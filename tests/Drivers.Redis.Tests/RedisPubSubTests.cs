using System.Collections.Concurrent;
using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

public sealed class RedisPubSubSourceConformanceTests : SourceConformanceTests
{
    protected override string? NoRedeliveryReason =>
        "redis-pubsub cannot redeliver by design: Redis keeps no published message, so a failed, released or unsettled one is gone (docs/redis.md)";

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    /// <summary>
    /// Pub/sub keeps nothing, so "enqueue" publishes as soon as the driver under test has subscribed
    /// (PUBSUB NUMSUB), in enqueue order.
    /// </summary>
    private sealed class Harness(ConnectionMultiplexer client) : ISourceHarness
    {
        private readonly string _channel = RedisService.NewKey("pubsub");
        private Task _publishing = Task.CompletedTask;

        // A one-shot fetch waits for the next message by default; the suite's "no work" checks need a bound.
        public ISourceDriver CreateSource() => DriverFactory.Source(RedisService.Registry, "redis-pubsub",
            RedisService.Flags(_channel, ("redis-pubsub-wait", "200ms")));

        public Task EnqueueAsync(byte[] payload)
        {
            _publishing = PublishWhenSubscribedAsync(_publishing, payload);
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<byte[]>> RecoverableAsync() => Task.FromResult<IReadOnlyList<byte[]>>([]);

        public async ValueTask DisposeAsync() => await _publishing;

        private async Task PublishWhenSubscribedAsync(Task previous, byte[] payload)
        {
            await previous;
            var channel = RedisChannel.Literal(_channel);
            var server = client.GetServer(client.GetEndPoints()[0]);
            await ToolProcesses.WaitUntilAsync(async () => await server.SubscriptionSubscriberCountAsync(channel) > 0, TimeSpan.FromSeconds(10), "the driver to subscribe");
            await client.GetSubscriber().PublishAsync(channel, payload);
        }
    }
}

public sealed class RedisPubSubSinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    /// <summary>Subscribes with the provider's client before the sink publishes, and collects what arrives.</summary>
    private sealed class Harness(ConnectionMultiplexer client) : ISinkHarness
    {
        private readonly string _channel = RedisService.NewKey("pubsub-sink");
        private readonly ConcurrentQueue<byte[]> _received = new();
        private ChannelMessageQueue? _subscription;

        public ISinkDriver CreateSink()
        {
            if (_subscription is null)
            {
                _subscription = client.GetSubscriber().Subscribe(RedisChannel.Literal(_channel));
                _subscription.OnMessage(m => _received.Enqueue((byte[])m.Message!));
            }
            return DriverFactory.Sink(RedisService.Registry, "redis-pubsub", RedisService.Flags(_channel));
        }

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(_received.Count >= expected), TimeSpan.FromSeconds(10), $"{expected} messages");
            return _received.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (_subscription is not null)
            {
                await _subscription.UnsubscribeAsync();
            }
        }
    }
}

public sealed class RedisPubSubTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Daemon_subscription_keeps_messages_published_between_fetches()
    {
        var client = await RedisService.ClientAsync();
        var channel = RedisService.NewKey("pubsub-keep");
        await using var source = DriverFactory.Source(RedisService.Registry, "redis-pubsub", RedisService.Flags(channel));
        Assert.Null(await source.FetchAsync(TimeSpan.FromMilliseconds(100), Ct)); // subscribes
        // Published while "a child runs" (no fetch in progress): still delivered, in order.
        await client.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), "one");
        await client.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), "two");
        await using var first = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct);
        await using var second = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("one", Encoding.UTF8.GetString(await first!.Payload.ReadAllBytesAsync(Ct)));
        Assert.Equal("two", Encoding.UTF8.GetString(await second!.Payload.ReadAllBytesAsync(Ct)));
    }
}
