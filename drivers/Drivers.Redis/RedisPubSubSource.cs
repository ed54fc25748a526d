using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// SUBSCRIBEs to the channel <c>-redis-key</c> on first fetch and hands over the next message. The
/// subscription lasts as long as procx, so a daemon also receives what is published while a child runs.
/// Pub/sub has no redelivery: a message exists only while it is delivered, so fail (and a crash) loses it;
/// use redis-list or redis-stream where work must not be lost. A one-shot procx (wait 0) waits for the next
/// message, as the original did, up to <c>-redis-pubsub-wait</c> when that is set.
/// </summary>
internal sealed class RedisPubSubSource : ISourceDriver
{
    private readonly RedisConnection _connection;
    private readonly RedisChannel _channel;
    private readonly ILog _log;
    private readonly TimeSpan? _oneShotWait;
    private readonly SemaphoreSlim _subscribeGate = new(1, 1);
    private readonly SemaphoreSlim _readGate = new(1, 1);
    private ChannelMessageQueue? _queue;

    public RedisPubSubSource(DriverContext context)
    {
        _log = context.Log;
        var factory = new RedisConnectionFactory(context.Settings, _log);
        _channel = RedisChannel.Literal(factory.Key);
        var wait = context.Settings.GetDuration(RedisPubSubSettings.Wait);
        _oneShotWait = wait > TimeSpan.Zero ? wait : null;
        _connection = factory.Create(subscriber: true);
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var queue = await SubscribeAsync(cancellationToken).ConfigureAwait(false);
        var limit = wait > TimeSpan.Zero ? wait : _oneShotWait ?? Timeout.InfiniteTimeSpan;
        await _readGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (queue.TryRead(out var ready))
            {
                return ToWorkItem(ready);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(limit);
            try
            {
                return ToWorkItem(await queue.ReadAsync(timeout.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
        finally
        {
            _readGate.Release();
        }
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _log.Warn("redis-pubsub cannot redeliver: the released message is dropped", ("channel", _channel.ToString()));
        return Task.CompletedTask;
    }

    /// <summary>A failed message is dropped, so no later fetch sees it: holding it back first would gain nothing.</summary>
    public bool FailSetsAside => true;

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _log.Warn("redis-pubsub cannot redeliver: the failed message is dropped", ("channel", _channel.ToString()));
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_queue is { } queue)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Debug($"unsubscribe failed: {e.Message}");
            }
        }
        await _connection.DisposeAsync().ConfigureAwait(false);
        _subscribeGate.Dispose();
        _readGate.Dispose();
    }

    private async Task<ChannelMessageQueue> SubscribeAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _queue) is { } subscribed)
        {
            return subscribed;
        }
        await _subscribeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_queue is null)
            {
                var connection = await _connection.GetAsync(cancellationToken).ConfigureAwait(false);
                _queue = await _connection.RunAsync(_ => connection.GetSubscriber().SubscribeAsync(_channel), cancellationToken).ConfigureAwait(false);
                _log.Debug("subscribed", ("channel", _channel.ToString()));
            }
            return _queue;
        }
        finally
        {
            _subscribeGate.Release();
        }
    }

    private WorkItem ToWorkItem(ChannelMessage message) =>
        new(Payload.FromBytes((byte[])message.Message!)) { Key = message.Channel.ToString() };
}
