using System.Net.Security;
using System.Net.Sockets;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Net;

namespace Drivers.Redis;

/// <summary>
/// The sinks' connection: one socket (TLS when asked) carrying one command at a time in RESP2, opened on
/// first use and again after any failure. A push needs nothing of the multiplexing client the sources use
/// (blocking commands, scripts, reconnection in the background), whose start alone — its threads, its
/// handshake, its shutdown — made a one-shot pushx take twice as long as `redis-cli rpush`. The handshake
/// (AUTH when there is a password, CLIENT SETNAME) goes out in the same write as the first command.
/// </summary>
internal sealed class RedisSinkConnection(RedisConnectionFactory factory) : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a command may wait for its reply; then the connection is dropped and the push fails (transient).</summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Socket? _socket;
    private Stream? _stream;
    private RespReader? _reader;

    /// <summary>
    /// Sends one command (its name and arguments as bytes) and returns the reply; an error reply is returned,
    /// not thrown, except the handshake's. Failures of the connection are translated for the user.
    /// </summary>
    public async Task<RespReply> SendAsync(IReadOnlyList<ReadOnlyMemory<byte>> command, CancellationToken cancellationToken)
    {
        // Awaited: pushes that wait for their turn (procx's in-process pushx at -concurrency N) hold no thread.
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_socket is { } idle && idle.Poll(0, SelectMode.SelectRead) && idle.Available == 0)
        {
            Drop(); // the server closed it since the last push (a restart, its idle timeout): nothing was sent on it
        }
        var connecting = _stream is null;
        var opened = !connecting;
        try
        {
            if (connecting)
            {
                Open();
                opened = true;
                return FirstExchange(command, cancellationToken);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReplyTimeout);
            using var writer = new RespWriter();
            writer.Command(command);
            await writer.WriteToAsync(_stream!, timeout.Token).ConfigureAwait(false);
            return await _reader!.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException)
        {
            Drop();
            cancellationToken.ThrowIfCancellationRequested();
            throw e switch
            {
                _ when !opened => factory.Translate(e) ?? factory.Unreachable(e),
                _ when e is OperationCanceledException || (e is IOException && ErrorText.NetworkReason(e) == "timed out") =>
                    DriverException.Transient($"redis at {factory.Endpoint} did not answer in time ({ReplyTimeout.TotalSeconds:0} s)", e),
                // Connected, but the first exchange was cut or was not RESP: most often TLS on one side only.
                IOException or InvalidDataException when connecting => factory.HandshakeFailed(e),
                EndOfStreamException or InvalidDataException => DriverException.Transient($"redis at {factory.Endpoint} closed the connection before it answered", e),
                _ => factory.Translate(e) ?? DriverException.Transient($"redis at {factory.Endpoint}: {ErrorText.Describe(e)}", e),
            };
        }
        catch
        {
            Drop();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The handshake and the first command, in one write, answered synchronously with the socket's own
    /// timeouts: a one-shot pushx then starts no thread for the socket engine, a timer or the thread pool's
    /// continuations (each a clone of the process). Later commands are asynchronous: a long-lived sink (procx's
    /// in-process pushx) must not hold a pool thread while it waits for the server.
    /// </summary>
    private RespReply FirstExchange(IReadOnlyList<ReadOnlyMemory<byte>> command, CancellationToken cancellationToken)
    {
        // A cancelled push (a job's -timeout, a shutdown) must not wait for the socket's timeouts.
        using var cancel = cancellationToken.Register(static s => Abort((Socket)s!), _socket);
        var handshake = factory.Handshake();
        using (var writer = new RespWriter())
        {
            foreach (var step in handshake)
            {
                writer.Command(step);
            }
            writer.Command(command);
            writer.WriteTo(_stream!);
        }
        foreach (var _ in handshake)
        {
            if (_reader!.Read() is { IsError: true } refused)
            {
                throw factory.ServerError(refused.Text);
            }
        }
        return _reader!.Read();
    }

    public ValueTask DisposeAsync()
    {
        // The gate is not disposed: a push still in flight releases it (a SemaphoreSlim that never handed out
        // its wait handle holds nothing to free).
        Drop();
        return ValueTask.CompletedTask;
    }

    private void Open()
    {
        var socket = TcpDial.Connect(factory.Host, factory.Port, ConnectTimeout);
        try
        {
            socket.ReceiveTimeout = socket.SendTimeout = (int)ReplyTimeout.TotalMilliseconds;
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (factory.TlsOptions() is { } tls)
            {
                var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = secure;
                secure.AuthenticateAsClient(tls);
            }
            (_socket, _stream, _reader) = (socket, stream, new RespReader(stream));
            factory.Connected(blocking: false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Ends a blocked send or receive; runs on the cancelling thread, so it throws nothing.</summary>
    private static void Abort(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed
        }
    }

    private void Drop()
    {
        _stream?.Dispose();
        _socket?.Dispose();
        (_socket, _stream, _reader) = (null, null, null);
    }
}
