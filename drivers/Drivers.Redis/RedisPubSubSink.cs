using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// PUBLISHes the input to the channel <c>-redis-key</c>. Pub/sub stores nothing: only subscribers connected at
/// that moment receive it, so a publish nobody received is logged as a warning.
/// </summary>
internal sealed class RedisPubSubSink : ISinkDriver
{
    private readonly RedisConnection _connection;
    private readonly RedisChannel _channel;
    private readonly ILog _log;

    public RedisPubSubSink(DriverContext context)
    {
        _log = context.Log;
        var factory = new RedisConnectionFactory(context.Settings, _log);
        _channel = RedisChannel.Literal(factory.Key);
        _connection = factory.Create();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var receivers = await _connection.RunAsync(db => db.PublishAsync(_channel, bytes), cancellationToken).ConfigureAwait(false);
        if (receivers == 0)
        {
            _log.Warn("no subscriber received the message (pub/sub keeps nothing)", ("channel", _channel.ToString()));
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
