using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>
/// PUBLISHes the input to the channel <c>-redis-key</c>. Pub/sub stores nothing: only subscribers connected at
/// that moment receive it, so a publish nobody received is logged as a warning.
/// </summary>
internal sealed class RedisPubSubSink : ISinkDriver
{
    private static readonly ReadOnlyMemory<byte> Publish = "PUBLISH"u8.ToArray();
    private readonly RedisConnectionFactory _factory;
    private readonly RedisSinkConnection _connection;
    private readonly string _channel;
    private readonly ILog _log;

    public RedisPubSubSink(DriverContext context)
    {
        _log = context.Log;
        _factory = new RedisConnectionFactory(context.Settings, _log);
        _channel = _factory.Key;
        _connection = _factory.CreateForSink();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var reply = await _connection.SendAsync([Publish, Encoding.UTF8.GetBytes(_channel), bytes], cancellationToken).ConfigureAwait(false);
        if (reply.IsError)
        {
            throw _factory.ServerError(reply.Text);
        }
        if (reply.Integer == 0)
        {
            _log.Warn("no subscriber received the message (pub/sub keeps nothing)", ("channel", _channel));
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
