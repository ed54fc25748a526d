using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>
/// Appends the input to the list <c>-redis-key</c> (RPUSH), so that procx, which takes from the head, sees
/// pushes in order. A Redis value is sent whole, so the input is read into memory (Redis caps values at 512 MB).
/// A batch (pushx -lines -batch-size) is one variadic RPUSH: atomic, all of it or none.
/// </summary>
internal sealed class RedisListSink : ISinkDriver, IBatchSink
{
    private static readonly ReadOnlyMemory<byte> Rpush = "RPUSH"u8.ToArray();
    private readonly RedisConnectionFactory _factory;
    private readonly RedisSinkConnection _connection;
    private readonly ReadOnlyMemory<byte> _key;

    public RedisListSink(DriverContext context)
    {
        _factory = new RedisConnectionFactory(context.Settings, context.Log);
        _key = Encoding.UTF8.GetBytes(_factory.Key);
        _connection = _factory.CreateForSink();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        await PushAsync([Rpush, _key, bytes], cancellationToken).ConfigureAwait(false);
    }

    public int MaxBatchCount => 100_000;

    // Redis reads one command of at most 512 MB (proto-max-bulk-len is per value; the query buffer is 1 GB).
    public long MaxBatchBytes => 512L * 1024 * 1024;

    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        await PushAsync([Rpush, _key, .. messages], cancellationToken).ConfigureAwait(false);
        return [];
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    private async Task PushAsync(ReadOnlyMemory<byte>[] command, CancellationToken cancellationToken)
    {
        if (await _connection.SendAsync(command, cancellationToken).ConfigureAwait(false) is { IsError: true } refused)
        {
            throw _factory.ServerError(refused.Text);
        }
    }
}
