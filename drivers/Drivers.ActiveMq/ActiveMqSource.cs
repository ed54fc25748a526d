using Drivers.ActiveMq.Stomp;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.ActiveMq;

/// <summary>
/// Takes one message per fetch over STOMP 1.2, each on a subscription of its own (<c>ack:client-individual</c>,
/// a prefetch of one), so that every message in flight can be settled alone:
/// <list type="bullet">
/// <item>clear: ACK, then UNSUBSCRIBE, whose RECEIPT confirms both;</item>
/// <item>fail and release: UNSUBSCRIBE without an ACK, and the broker hands the message out again at once.
/// Not NACK on ActiveMQ: 5.17 drops a non-persistent message on a STOMP NACK and moves a persistent one
/// straight to ActiveMQ.DLQ. On RabbitMQ (CONNECTED server:RabbitMQ/…), whose UNSUBSCRIBE keeps unacknowledged
/// messages until the connection closes, a NACK (which requeues there) comes first;</item>
/// <item>-max-failures (<see cref="IDeadLetterSource"/>): a copy is SENT to <c>-activemq-dead-letter-name</c>
/// and the original ACKed, in one STOMP transaction, so the message is in exactly one place;</item>
/// <item>procx killed or the connection lost: nothing was acknowledged, so the broker redelivers it.</item>
/// </list>
/// An empty queue is no work once the wait (at least <see cref="MinimumWait"/>, the broker's dispatch time)
/// has passed: the original blocked for ever. A connection that broke (broker restart, missed heart-beats)
/// is replaced by the next fetch; a job that ran on the old one is reported as lost, as the broker has
/// already taken its message back.
/// </summary>
internal sealed class ActiveMqSource : ISourceDriver, IDeadLetterSource, IFailureTranslator
{
    /// <summary>How long a fetch waits at least: a subscription's first message takes the broker a moment to dispatch.</summary>
    internal static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(30);

    private readonly ActiveMqConnectionFactory _factory;
    private readonly ILog _log;
    private readonly string _deadLetter;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private StompConnection? _connection;

    public ActiveMqSource(DriverContext context)
    {
        _log = context.Log;
        _factory = new ActiveMqConnectionFactory(context.Settings, _log);
        var dlq = context.Settings.GetString(ActiveMqSettings.DeadLetterName) is { Length: > 0 } d ? d : "ActiveMQ.DLQ";
        _deadLetter = ActiveMqConnectionFactory.ToDestination(dlq, "queue");
    }

    public DriverException? Translate(Exception error) => _factory.Translate(error);

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        StompSubscription subscription;
        try
        {
            subscription = await connection.SubscribeAsync(_factory.Destination,
            [
                new("ack", "client-individual"),
                new("activemq.prefetchSize", "1"), // ActiveMQ
                new("prefetch-count", "1"),        // RabbitMQ
            ], cancellationToken, confirm: false).ConfigureAwait(false); // the MESSAGE (or an ERROR) is the answer
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw _factory.Wrap(e);
        }
        StompFrame? message;
        try
        {
            message = await subscription.ReceiveAsync(wait < MinimumWait ? MinimumWait : wait, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await DropAsync(subscription).ConfigureAwait(false);
            throw e is OperationCanceledException ? e : _factory.Wrap(e);
        }
        if (message is null)
        {
            await DropAsync(subscription).ConfigureAwait(false);
            return null;
        }
        // RabbitMQ's message-id is per delivery; the producer's own id (amqp-message-id, which pushx sets there)
        // is what stays the same across redeliveries, and what -max-failures counts by.
        var id = connection.Server.StartsWith("RabbitMQ", StringComparison.OrdinalIgnoreCase) && message["amqp-message-id"] is { Length: > 0 } stable
            ? stable
            : message["message-id"];
        var templateData = TemplateData.FromPayloadBytes(message.Body.Span)
            .With("messageId", id)
            .With("destination", message["destination"])
            .With("redelivered", message["redelivered"]);
        return new WorkItem(Payload.FromBytes(Bytes(message.Body)))
        {
            Key = _factory.Destination,
            Id = id,
            Receipt = message["ack"] ?? id,
            TemplateData = templateData,
            DriverState = new InFlight(subscription, message),
        };
    }

    /// <summary>
    /// ACK and UNSUBSCRIBE in one write, done when the UNSUBSCRIBE's RECEIPT arrives: the broker processes a
    /// connection's frames in order, so the receipt confirms the ACK (a refused ACK is an ERROR that ends the
    /// connection first). On a connection that broke meanwhile the claim is gone.
    /// </summary>
    public async Task ClearAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var held = (InFlight)item.DriverState!;
        var connection = LiveConnectionOf(held, "acknowledge");
        try
        {
            using var timeout = Timeout(cancellationToken);
            await connection.UnsubscribeAsync(held.Subscription, timeout.Token, before: new StompFrame("ACK").With("id", item.Receipt)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw Lost("acknowledge", e);
        }
    }

    /// <summary>UNSUBSCRIBE without ACK: the broker redelivers the message at once (redelivered:true).</summary>
    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => ReturnAsync(item, "failed", cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => ReturnAsync(item, "released", cancellationToken);

    /// <summary>A copy to the dead-letter queue and the ACK of the original, in one transaction.</summary>
    public async Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var held = (InFlight)item.DriverState!;
        var connection = LiveConnectionOf(held, "dead-letter");
        var tx = "tx-" + connection.NextId();
        try
        {
            using var timeout = Timeout(cancellationToken);
            await connection.SendAsync(new StompFrame("BEGIN").With("transaction", tx), timeout.Token).ConfigureAwait(false);
            var copy = new StompFrame("SEND", CopiedHeaders(held.Message), held.Message.Body)
                .With("destination", _deadLetter)
                .With("persistent", "true")
                .With("transaction", tx)
                .With("procx-original-destination", held.Message["destination"] ?? _factory.Destination)
                .With("procx-original-message-id", item.Id);
            await connection.SendAsync(copy, timeout.Token).ConfigureAwait(false);
            await connection.SendAsync(new StompFrame("ACK").With("id", item.Receipt).With("transaction", tx), timeout.Token).ConfigureAwait(false);
            await connection.SendWithReceiptAsync(new StompFrame("COMMIT").With("transaction", tx), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Without the COMMIT's receipt nothing is known to have happened; the broker aborts an open transaction with the connection.
            throw Lost("dead-letter", e);
        }
        _log.Debug("dead-lettered", ("id", item.Id), ("to", _deadLetter));
        await DropAsync(held.Subscription).ConfigureAwait(false);
    }

    /// <summary>DISCONNECT: every message still held (not acknowledged) goes back to the broker.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.DisconnectAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        _connectGate.Dispose();
    }

    private async Task ReturnAsync(WorkItem item, string what, CancellationToken cancellationToken)
    {
        var held = (InFlight)item.DriverState!;
        if (!held.Subscription.Connection.IsOpen)
        {
            // The broker took the message back when the connection ended: it is recoverable already.
            _log.Debug($"{what} on a closed connection: the broker has the message back already", ("id", item.Id));
            return;
        }
        try
        {
            using var timeout = Timeout(cancellationToken);
            var connection = held.Subscription.Connection;
            await connection.UnsubscribeAsync(held.Subscription, timeout.Token).ConfigureAwait(false);
            if (connection.Server.StartsWith("RabbitMQ", StringComparison.OrdinalIgnoreCase))
            {
                // RabbitMQ keeps a cancelled subscription's unacknowledged messages on the connection until it
                // closes; its NACK requeues (requeue defaults to true), which is the hand-back there. After the
                // UNSUBSCRIBE, so that the requeued message cannot come straight back to this subscription.
                await connection.SendWithReceiptAsync(new StompFrame("NACK").With("id", item.Receipt), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (held.Subscription.Connection.IsOpen)
            {
                throw _factory.Wrap(e);
            }
            _log.Debug($"{what}: the connection ended, which returns the message too", ("id", item.Id));
        }
    }

    /// <summary>UNSUBSCRIBE after a settle or an empty wait; a failure here only matters if the connection lives on.</summary>
    private async Task DropAsync(StompSubscription subscription)
    {
        if (!subscription.Connection.IsOpen)
        {
            return;
        }
        try
        {
            using var timeout = new CancellationTokenSource(SettleTimeout);
            await subscription.Connection.UnsubscribeAsync(subscription, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A subscription that cannot be dropped belongs to a connection that is broken: close it, which drops it.
            _log.Debug($"could not unsubscribe; closing the connection instead: {e.Message}");
            await subscription.Connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    private StompConnection LiveConnectionOf(InFlight held, string step)
    {
        var connection = held.Subscription.Connection;
        if (!connection.IsOpen)
        {
            throw DriverException.Lost($"cannot {step} the message: the connection to the broker at {_factory.Endpoint} ended while the job ran ({connection.Fault?.Message}); the broker redelivers it");
        }
        return connection;
    }

    private DriverException Lost(string step, Exception e) => DriverException.Lost(
        $"cannot {step} the message at {_factory.Endpoint} ({_factory.Translate(e)?.Message ?? e.Message}); unless it was, the broker redelivers it", e);

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(SettleTimeout);
        return cts;
    }

    private async Task<StompConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _connection) is { IsOpen: true } open)
        {
            return open;
        }
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true } current)
            {
                return current;
            }
            if (_connection is { } broken)
            {
                _log.Warn("the connection to the broker ended; reconnecting", ("endpoint", _factory.Endpoint), ("reason", broken.Fault?.Message));
                await broken.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }
            _connection = await _factory.ConnectAsync(cancellationToken).ConfigureAwait(false);
            return _connection;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    /// <summary>The headers a dead-letter copy keeps: the application's, not the delivery's.</summary>
    private static IEnumerable<KeyValuePair<string, string>> CopiedHeaders(StompFrame message) =>
        message.Headers.Where(h => h.Key is not ("message-id" or "destination" or "subscription" or "ack" or "content-length"
            or "redelivered" or "receipt" or "transaction" or "expires" or "timestamp" or "persistent"));

    /// <summary>The frame's body array itself where it is one (the reader allocates one per frame): no copy of a large message.</summary>
    private static byte[] Bytes(ReadOnlyMemory<byte> body) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : body.ToArray();

    private sealed record InFlight(StompSubscription Subscription, StompFrame Message);
}
