using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace Drivers.ActiveMq.Stomp;

/// <summary>Where and how to connect: the broker, credentials, the CONNECT <c>host</c> header, heart-beats, TLS.</summary>
internal sealed record StompOptions(string Host, int Port)
{
    /// <summary>The CONNECT frame's <c>host</c> header: RabbitMQ's virtual host; ActiveMQ ignores it.</summary>
    public string VirtualHost { get; init; } = "/";

    public string? Login { get; init; }

    public string? Passcode { get; init; }

    /// <summary>Heart-beat period asked for in both directions; zero for none.</summary>
    public TimeSpan HeartBeat { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Null for plain TCP.</summary>
    public StompTls? Tls { get; init; }
}

/// <summary>TLS: skip verification, or trust these CAs (null: the system's), and an optional client certificate.</summary>
internal sealed record StompTls(bool Insecure, X509Certificate2Collection? Trust, X509Certificate2? ClientCertificate);

/// <summary>
/// One STOMP 1.2 connection: CONNECT/CONNECTED, a read loop that hands MESSAGE frames to their subscription
/// and RECEIPT frames to the request waiting for them, heart-beats both ways, DISCONNECT with a receipt. An
/// ERROR frame, a missed heart-beat or a broken socket faults the connection: every waiting request and
/// subscription then fails with that reason, and the owner opens a new connection.
/// </summary>
internal sealed class StompConnection : IAsyncDisposable
{
    private static readonly byte[] HeartBeatBytes = "\n"u8.ToArray();

    private readonly TcpClient _tcp;
    private readonly Stream _stream;
    private readonly StompFrameReader _reader;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StompFrame>> _receipts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StompSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closing = new();
    private long _nextId;
    private long _lastRead = Environment.TickCount64;
    private long _lastWrite = Environment.TickCount64;
    private TimeSpan _sendEvery;
    private TimeSpan _expectEvery;
    private Task _readLoop = Task.CompletedTask;
    private Task _heartBeatLoop = Task.CompletedTask;
    private Exception? _fault;

    private StompConnection(TcpClient tcp, Stream stream)
    {
        _tcp = tcp;
        _stream = stream;
        _reader = new StompFrameReader(stream) { OnActivity = () => Volatile.Write(ref _lastRead, Environment.TickCount64) };
    }

    /// <summary>The CONNECTED frame's <c>server</c> header (e.g. <c>ActiveMQ/5.17.6</c>, <c>RabbitMQ/3.10.8</c>).</summary>
    public string Server { get; private set; } = "";

    public bool IsOpen => Volatile.Read(ref _fault) is null;

    /// <summary>Why the connection is unusable, once it is.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Dials, negotiates STOMP 1.2 and starts reading. An ERROR answer to CONNECT is thrown as <see cref="StompErrorException"/>.</summary>
    public static async Task<StompConnection> OpenAsync(StompOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            try
            {
                await tcp.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"connect timed out after {options.ConnectTimeout.TotalSeconds:0}s");
            }
            Stream stream = tcp.GetStream();
            if (options.Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.Host,
                    ClientCertificates = tls.ClientCertificate is { } c ? [c] : null,
                    RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(tls, certificate, errors),
                }, timeout.Token).ConfigureAwait(false);
                stream = ssl;
            }
            var connection = new StompConnection(tcp, stream);
            await connection.HandshakeAsync(options, timeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private static bool Validate(StompTls tls, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (tls.Insecure)
        {
            return true;
        }
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (tls.Trust is null || certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false; // a name mismatch or no certificate is never forgiven
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(tls.Trust);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }

    private async Task HandshakeAsync(StompOptions options, CancellationToken cancellationToken)
    {
        var beat = ((long)options.HeartBeat.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
        var connect = new StompFrame("CONNECT")
            .With("accept-version", "1.2")
            .With("host", options.VirtualHost)
            .With("login", options.Login)
            .With("passcode", options.Passcode)
            .With("heart-beat", $"{beat},{beat}");
        await WriteAsync(connect.Encode(), cancellationToken).ConfigureAwait(false);
        var answer = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new EndOfStreamException("the broker closed the connection without answering CONNECT");
        if (answer.Command == "ERROR")
        {
            throw new StompErrorException(answer);
        }
        if (answer.Command != "CONNECTED")
        {
            throw new StompProtocolException($"the broker answered CONNECT with {answer.Command}");
        }
        Server = answer["server"] ?? "";
        // heart-beat:sx,sy: the broker sends every sx ms at best and wants ours every sy ms.
        var (sx, sy) = ParseHeartBeat(answer["heart-beat"]);
        var mine = (long)options.HeartBeat.TotalMilliseconds;
        _sendEvery = mine == 0 || sy == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(mine, sy));
        _expectEvery = mine == 0 || sx == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(mine, sx));
        _readLoop = Task.Run(ReadLoopAsync);
        if (_sendEvery > TimeSpan.Zero || _expectEvery > TimeSpan.Zero)
        {
            _heartBeatLoop = Task.Run(HeartBeatLoopAsync);
        }
    }

    internal static (long Sx, long Sy) ParseHeartBeat(string? header)
    {
        if (header?.Split(',') is [var a, var b]
            && long.TryParse(a.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var sx)
            && long.TryParse(b.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var sy))
        {
            return (sx, sy);
        }
        return (0, 0);
    }

    public string NextId() => Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends a frame without waiting for the broker.</summary>
    public Task SendAsync(StompFrame frame, CancellationToken cancellationToken)
    {
        ThrowIfFaulted();
        return WriteAsync(frame.Encode(), cancellationToken);
    }

    /// <summary>Sends a frame with a <c>receipt</c> header and waits for its RECEIPT (or the ERROR, or the connection's end).</summary>
    /// <param name="before">A frame written in the same write, ahead of this one (an ACK before its UNSUBSCRIBE): the broker
    /// processes a connection's frames in order, so this frame's RECEIPT confirms it too, and one write saves a round
    /// trip that TCP's delayed acknowledgements would stretch to tens of milliseconds.</param>
    public async Task SendWithReceiptAsync(StompFrame frame, CancellationToken cancellationToken, Stream? body = null, long bodyLength = 0, StompFrame? before = null)
    {
        ThrowIfFaulted();
        var id = "r-" + NextId();
        var waiter = new TaskCompletionSource<StompFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        _receipts[id] = waiter;
        try
        {
            frame.With("receipt", id);
            if (body is null)
            {
                await WriteAsync(before is null ? frame.Encode() : [.. before.Encode(), .. frame.Encode()], cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await WriteStreamedAsync(frame, body, bodyLength, cancellationToken).ConfigureAwait(false);
            }
            if (Fault is { } fault)
            {
                waiter.TrySetException(fault);
            }
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _receipts.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Registers a subscription (its id is new on this connection) and sends SUBSCRIBE, with a receipt waited for
    /// when <paramref name="confirm"/> (without, a refused SUBSCRIBE still ends the connection with an ERROR).
    /// </summary>
    public async Task<StompSubscription> SubscribeAsync(string destination, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken, bool confirm = true)
    {
        var subscription = new StompSubscription(this, "s-" + NextId(), destination);
        _subscriptions[subscription.Id] = subscription;
        try
        {
            var frame = new StompFrame("SUBSCRIBE").With("id", subscription.Id).With("destination", destination);
            frame.Headers.AddRange(headers);
            if (confirm)
            {
                await SendWithReceiptAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            return subscription;
        }
        catch
        {
            _subscriptions.TryRemove(subscription.Id, out _);
            throw;
        }
    }

    /// <summary>UNSUBSCRIBE: the broker takes back whatever it delivered on the subscription and did not see acknowledged.</summary>
    /// <param name="before">A frame to write ahead of the UNSUBSCRIBE in the same write (the ACK of its message).</param>
    public async Task UnsubscribeAsync(StompSubscription subscription, CancellationToken cancellationToken, StompFrame? before = null)
    {
        _subscriptions.TryRemove(subscription.Id, out _);
        subscription.Complete(null);
        await SendWithReceiptAsync(new StompFrame("UNSUBSCRIBE").With("id", subscription.Id), cancellationToken, before: before).ConfigureAwait(false);
    }

    /// <summary>DISCONNECT with a receipt (so every frame before it was processed), then the socket is closed.</summary>
    public async Task DisconnectAsync(TimeSpan timeout)
    {
        if (IsOpen)
        {
            try
            {
                using var cts = new CancellationTokenSource(timeout);
                await SendWithReceiptAsync(new StompFrame("DISCONNECT"), cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or StompErrorException or ObjectDisposedException)
            {
                // Closing anyway: the broker treats a closed socket like a DISCONNECT without receipt.
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        SetFault(new IOException("the connection was closed"));
        await _closing.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        try
        {
            await Task.WhenAll(_readLoop, _heartBeatLoop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            // The loops end with the socket.
        }
    }

    private void ThrowIfFaulted()
    {
        if (Fault is { } fault)
        {
            throw fault is StompErrorException error ? new StompErrorException(error.Frame) : new IOException(fault.Message, fault);
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastWrite, Environment.TickCount64);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            SetFault(e);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A frame whose body is copied from <paramref name="body"/> as it is read (a large push is never held whole).</summary>
    private async Task WriteStreamedAsync(StompFrame frame, Stream body, long length, CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(frame.EncodeHead(length), cancellationToken).ConfigureAwait(false);
            var buffer = new byte[64 * 1024];
            long copied = 0;
            int read;
            while (copied < length && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - copied)), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await _stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                copied += read;
                Volatile.Write(ref _lastWrite, Environment.TickCount64);
            }
            if (copied != length)
            {
                // The frame cannot be finished honestly: break the connection rather than send a short body.
                var short_ = new IOException($"the payload ended after {copied} of {length} bytes");
                SetFault(short_);
                _tcp.Dispose();
                throw short_;
            }
            await _stream.WriteAsync(new byte[] { 0 }, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastWrite, Environment.TickCount64);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            SetFault(e);
            throw;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var frame = await _reader.ReadAsync(_closing.Token).ConfigureAwait(false);
                if (frame is null)
                {
                    SetFault(new IOException("the broker closed the connection"));
                    return;
                }
                switch (frame.Command)
                {
                    case "MESSAGE":
                        if (frame["subscription"] is { } sid && _subscriptions.TryGetValue(sid, out var subscription))
                        {
                            subscription.Deliver(frame);
                        }
                        // else: unsubscribed meanwhile; never acknowledged, so the broker redelivers it.
                        break;
                    case "RECEIPT":
                        if (frame["receipt-id"] is { } rid && _receipts.TryGetValue(rid, out var waiter))
                        {
                            waiter.TrySetResult(frame);
                        }
                        break;
                    case "ERROR":
                        // The broker closes the connection after an ERROR (STOMP 1.2): fail everything with its reason.
                        SetFault(new StompErrorException(frame));
                        return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or StompProtocolException)
        {
            SetFault(e is OperationCanceledException ? new IOException("the connection was closed") : e);
        }
        finally
        {
            _tcp.Dispose();
        }
    }

    /// <summary>
    /// How long the broker may stay silent before the connection counts as dead: two agreed periods, and at least
    /// the period plus 5 s, because a busy broker (a JVM pausing, a loaded machine) misses a short period's beat
    /// without being gone, and a connection dropped for that loses the job running on it.
    /// </summary>
    internal TimeSpan SilenceAllowed => TimeSpan.FromTicks(Math.Max(2 * _expectEvery.Ticks, (_expectEvery + TimeSpan.FromSeconds(5)).Ticks));

    private async Task HeartBeatLoopAsync()
    {
        var tick = TimeSpan.FromMilliseconds(Math.Max(100, Math.Min(
            _sendEvery > TimeSpan.Zero ? _sendEvery.TotalMilliseconds / 2 : double.MaxValue,
            _expectEvery > TimeSpan.Zero ? _expectEvery.TotalMilliseconds / 2 : double.MaxValue)));
        try
        {
            while (IsOpen)
            {
                await Task.Delay(tick, _closing.Token).ConfigureAwait(false);
                var now = Environment.TickCount64;
                if (_expectEvery > TimeSpan.Zero && now - Volatile.Read(ref _lastRead) > SilenceAllowed.TotalMilliseconds)
                {
                    SetFault(new TimeoutException($"no heart-beat from the broker for {SilenceAllowed.TotalSeconds:0.#}s"));
                    _tcp.Dispose();
                    return;
                }
                // Only when idle: a frame being written is a sign of life already (and must not be interleaved).
                if (_sendEvery > TimeSpan.Zero && now - Volatile.Read(ref _lastWrite) >= _sendEvery.TotalMilliseconds / 2
                    && await _writeGate.WaitAsync(0).ConfigureAwait(false))
                {
                    try
                    {
                        await _stream.WriteAsync(HeartBeatBytes, _closing.Token).ConfigureAwait(false);
                        await _stream.FlushAsync(_closing.Token).ConfigureAwait(false);
                        Volatile.Write(ref _lastWrite, Environment.TickCount64);
                    }
                    finally
                    {
                        _writeGate.Release();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            SetFault(e is OperationCanceledException ? new IOException("the connection was closed") : e);
        }
    }

    private void SetFault(Exception fault)
    {
        if (Interlocked.CompareExchange(ref _fault, fault, null) is not null)
        {
            return;
        }
        foreach (var waiter in _receipts.Values)
        {
            waiter.TrySetException(fault);
        }
        foreach (var subscription in _subscriptions.Values)
        {
            subscription.Complete(fault);
        }
    }
}

/// <summary>One SUBSCRIBE on a connection: its MESSAGE frames, in order, as they arrive.</summary>
internal sealed class StompSubscription(StompConnection connection, string id, string destination)
{
    private readonly Channel<StompFrame> _messages = Channel.CreateUnbounded<StompFrame>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });

    public string Id { get; } = id;

    public string Destination { get; } = destination;

    public StompConnection Connection { get; } = connection;

    internal void Deliver(StompFrame frame) => _messages.Writer.TryWrite(frame);

    internal void Complete(Exception? error) => _messages.Writer.TryComplete(error);

    /// <summary>The next message, or null when none came within <paramref name="wait"/> (or the subscription ended cleanly).</summary>
    public async Task<StompFrame?> ReceiveAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_messages.Reader.TryRead(out var ready))
        {
            return ready;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        try
        {
            return await _messages.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (ChannelClosedException e)
        {
            if (e.InnerException is { } fault)
            {
                throw fault is StompErrorException error ? new StompErrorException(error.Frame) : new IOException(fault.Message, fault);
            }
            return null;
        }
    }
}
