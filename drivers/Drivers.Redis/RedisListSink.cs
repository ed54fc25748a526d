using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// Appends the input to the list <c>-redis-key</c> (RPUSH), so that procx, which takes from the head, sees
/// pushes in order. A Redis value is sent whole, so the input is read into memory (Redis caps values at 512 MB).
/// </summary>
internal sealed class RedisListSink : ISinkDriver
{
    private readonly RedisConnection _connection;
    private readonly RedisKey _key;

    public RedisListSink(DriverContext context)
    {
        var factory = new RedisConnectionFactory(context.Settings, context.Log);
        _key = factory.Key;
        _connection = factory.Create();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        await _connection.RunAsync(db => db.ListRightPushAsync(_key, bytes), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
