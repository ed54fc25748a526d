using Drivers.Core.Contracts;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>One multiplexed Redis connection, opened on first use and reopened after a failed first attempt.</summary>
internal sealed class RedisConnection(RedisConnectionFactory factory, bool blocking, bool subscriber) : IAsyncDisposable
{
    /// <summary>The longest a blocking command is asked to wait server-side before the caller loops.</summary>
    public static readonly TimeSpan MaxBlock = TimeSpan.FromSeconds(2);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private ConnectionMultiplexer? _connection;

    public RedisConnectionFactory Factory => factory;

    public async Task<ConnectionMultiplexer> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } open)
        {
            return open;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _connection ??= await factory.ConnectAsync(blocking, subscriber).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs one operation against database 0, translating client errors for the user.</summary>
    /// <param name="handled">Server errors the caller handles itself (e.g. NOGROUP), passed through untranslated.</param>
    public async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken, Func<RedisServerException, bool>? handled = null)
    {
        try
        {
            var connection = await GetAsync(cancellationToken).ConfigureAwait(false);
            return await operation(connection.GetDatabase()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException && !(e is RedisServerException s && handled?.Invoke(s) == true)
            && factory.Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    public Task RunAsync(Func<IDatabase, Task> operation, CancellationToken cancellationToken, Func<RedisServerException, bool>? handled = null) =>
        RunAsync(async db =>
        {
            await operation(db).ConfigureAwait(false);
            return true;
        }, cancellationToken, handled);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.CloseAsync(allowCommandsToComplete: true).ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        _gate.Dispose();
    }
}
