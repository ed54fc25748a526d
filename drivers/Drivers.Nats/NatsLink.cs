using Drivers.Core.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Drivers.Nats;

/// <summary>
/// One NATS connection, opened on first use. A first connect that fails leaves nothing behind, so the next
/// call (the host's retry) dials afresh; once connected, the client reconnects by itself after a server
/// restart. Every call goes through <see cref="RunAsync{T}"/>, which translates client errors.
/// </summary>
internal sealed class NatsLink(NatsConnectionFactory factory) : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NatsConnection? _connection;
    private NatsJSContext? _js;

    public NatsConnectionFactory Factory => factory;

    public async Task<NatsConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { } open)
        {
            return open;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is null)
            {
                var connection = factory.Create();
                try
                {
                    await connection.ConnectAsync().ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                    throw await factory.ConnectFailureAsync(e).ConfigureAwait(false);
                }
                _js = NatsConnectionFactory.JetStream(connection);
                Volatile.Write(ref _connection, connection);
            }
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<NatsJSContext> JetStreamAsync(CancellationToken cancellationToken)
    {
        await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        return _js!;
    }

    /// <summary>Runs one operation, translating client errors for the user.</summary>
    public async Task<T> RunAsync<T>(Func<NatsConnection, Task<T>> operation, CancellationToken cancellationToken)
    {
        try
        {
            return await operation(await ConnectionAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException && factory.Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    public Task RunAsync(Func<NatsConnection, Task> operation, CancellationToken cancellationToken) =>
        RunAsync(async c =>
        {
            await operation(c).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        _gate.Dispose();
    }
}
