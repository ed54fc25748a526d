using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// Appends the input to the list <c>-redis-key</c> (RPUSH), so that procx, which takes from the head, sees
/// pushes in order. A Redis value is sent whole, so the input is read into memory (Redis caps values at 512 MB).
/// A batch (pushx -lines -batch-size) is one variadic RPUSH: atomic, all of it or none.
/// </summary>
internal sealed class RedisListSink : ISinkDriver, IBatchSink
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

    public int MaxBatchCount => 100_000;

    // Redis reads one command of at most 512 MB (proto-max-bulk-len is per value; the query buffer is 1 GB).
    public long MaxBatchBytes => 512L * 1024 * 1024;

    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var values = messages.Select(m => (RedisValue)m).ToArray();
        await _connection.RunAsync(db => db.ListRightPushAsync(_key, values), cancellationToken).ConfigureAwait(false);
        return [];
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
