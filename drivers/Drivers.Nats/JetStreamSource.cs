using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Drivers.Nats;

/// <summary>
/// JetStream (<c>-nats-stream</c>): a durable pull consumer <c>-nats-consumer</c> (created with explicit acks if
/// missing, filtered by <c>-nats-subject</c> when given) hands out messages, one per fetch or as many as
/// -concurrency has free slots. Clear acks (+ACK, confirmed by the server), fail naks with
/// <c>-nats-nak-delay</c>, and while the child runs the host renews the ack wait with in-progress acks
/// (+WPI). A message of a procx that died is redelivered once its ack wait lapses; the server's delivery count
/// is the item's, so -max-failures counts across procx. After -max-failures a message is published to
/// <c>-nats-dead-letter-subject</c> (with a JetStream ack) and terminated (+TERM), or only terminated.
/// A released message stays with this procx (its ack wait renewed) and is handed out again by the next fetch,
/// unchanged; those still held when the driver is disposed are nak'ed, so the next procx gets them at once.
/// </summary>
internal sealed class JetStreamSource : ISourceDriver, ILeasedSource, IBatchSource, IDeadLetterSource, IFailureTranslator
{
    private readonly NatsLink _link;
    private readonly ILog _log;
    private readonly Drivers.Core.Settings.SettingValues _settings;
    private readonly string _stream;
    private readonly string _consumerName;
    private readonly string? _subject;
    private readonly bool _createStream;
    private readonly TimeSpan _ackWait;
    private readonly TimeSpan _nakDelay;
    private readonly string? _deadLetterSubject;
    private readonly TimeSpan? _oneShotWait;
    private readonly SemaphoreSlim _setupGate = new(1, 1);
    private readonly ConcurrentQueue<(WorkItem Item, long ReleasedAt)> _released = new();
    private INatsJSConsumer? _consumer;
    private StreamConfigRetention _retention;
    private TimeSpan _consumerAckWait;

    public JetStreamSource(DriverContext context)
    {
        _settings = context.Settings;
        _log = context.Log;
        _link = new NatsLink(new NatsConnectionFactory(_settings, _log));
        _stream = _settings.GetRequiredString(NatsSettings.Stream);
        _consumerName = _settings.GetRequiredString(NatsSettings.Consumer);
        _subject = _settings.GetString(NatsSettings.Subject) is { Length: > 0 } s ? s : null;
        _createStream = _settings.GetBool(NatsSettings.CreateStream);
        if (_createStream && _subject is null)
        {
            throw _settings.MissingError(NatsSettings.Subject);
        }
        _ackWait = _settings.GetDuration(NatsSettings.AckWait);
        _consumerAckWait = _ackWait;
        _nakDelay = _settings.GetDuration(NatsSettings.NakDelay);
        _deadLetterSubject = _settings.GetString(NatsSettings.DeadLetterSubject) is { Length: > 0 } d ? d : null;
        _oneShotWait = _settings.GetDuration(NatsSettings.Wait) is { } w && w > TimeSpan.Zero ? w : null;
    }

    public DriverException? Translate(Exception error) => _link.Factory.Translate(error);

    /// <summary>A third of the consumer's ack wait, so two renewals may fail before the message is redelivered.</summary>
    public TimeSpan LeaseRenewalInterval => _consumerAckWait / 3;

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)) is [var item, ..] ? item : null;

    public Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken) =>
        _link.RunAsync<IReadOnlyList<WorkItem>>(async _ =>
        {
            var consumer = await ConsumerAsync(cancellationToken).ConfigureAwait(false);
            if (wait <= TimeSpan.Zero && _oneShotWait is { } oneShot)
            {
                wait = oneShot; // a one-shot procx with -nats-wait
            }
            var items = new List<WorkItem>();
            try
            {
                await TakeBackReleasedAsync(items, max, cancellationToken).ConfigureAwait(false);
                if (items.Count < max)
                {
                    await PullAsync(consumer, items, max - items.Count, wait, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (NatsJSException) when (items.Count == 0)
            {
                // The consumer may be gone (deleted, or a server that lost its state): look it up again next time.
                Volatile.Write(ref _consumer, null);
                throw;
            }
            catch (Exception e) when (items.Count > 0 && e is not OperationCanceledException and not OutOfMemoryException)
            {
                // Hand over what arrived; the rest of the batch is the next fetch's.
                _log.Debug($"the rest of a batch fetch failed: {e.Message}");
            }
            return items;
        }, cancellationToken);

    /// <summary>
    /// What is there at once (no_wait); else one message waited for with a server-side expiry (never a client
    /// cancel, which would leave a pull open whose messages nobody reads), then the rest of the batch at once.
    /// </summary>
    private async Task PullAsync(INatsJSConsumer consumer, List<WorkItem> items, int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        await foreach (var msg in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = max }, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
        {
            items.Add(ToWorkItem(msg));
        }
        if (items.Count > 0 || wait < TimeSpan.FromSeconds(1))
        {
            return;
        }
        // The client wants an idle heartbeat of at most 30 s (half the expiry by default): a long -daemon-interval needs it set.
        var heartbeat = TimeSpan.FromTicks(Math.Min(wait.Ticks / 2, TimeSpan.FromSeconds(30).Ticks));
        await foreach (var msg in consumer.FetchAsync(new NatsJSFetchOpts { MaxMsgs = 1, Expires = wait, IdleHeartbeat = heartbeat }, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
        {
            items.Add(ToWorkItem(msg));
        }
        if (items.Count == 1 && max > 1)
        {
            await foreach (var msg in consumer.FetchNoWaitAsync(new NatsJSFetchOpts { MaxMsgs = max - 1 }, NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false))
            {
                items.Add(ToWorkItem(msg));
            }
        }
    }

    private static WorkItem ToWorkItem(INatsJSMsg<byte[]> msg)
    {
        var metadata = msg.Metadata;
        return new WorkItem(Payload.FromBytes(msg.Data ?? []))
        {
            Key = msg.Subject,
            Id = metadata?.Sequence.Stream.ToString(CultureInfo.InvariantCulture),
            DeliveryCount = metadata is { } m ? (int)Math.Min(m.NumDelivered, int.MaxValue) : null,
            Receipt = msg.ReplyTo,
            DriverState = msg,
        };
    }

    private static INatsJSMsg<byte[]> Msg(WorkItem item) => (INatsJSMsg<byte[]>)item.DriverState!;

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) =>
        _link.RunAsync(_ => Msg(item).AckAsync(new AckOpts { DoubleAck = true }, cancellationToken).AsTask(), cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) =>
        _link.RunAsync(_ => Msg(item).NakAsync(new AckOpts { DoubleAck = true, NakDelay = _nakDelay }, cancellationToken).AsTask(), cancellationToken);

    public Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken) =>
        _link.RunAsync(_ => Msg(item).AckProgressAsync(new AckOpts { DoubleAck = true }, cancellationToken).AsTask(), cancellationToken);

    /// <summary>Kept (ack wait renewed) for this procx's next fetch: a release is no failed attempt, so the delivery count stays.</summary>
    public async Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        await RenewLeaseAsync(item, cancellationToken).ConfigureAwait(false);
        _released.Enqueue((item, Stopwatch.GetTimestamp()));
    }

    /// <summary>
    /// Released messages go out again first, while their renewed ack wait is surely not over (under half of
    /// it has passed); an older one is nak'ed instead, so the server, not this stale copy, hands it out.
    /// </summary>
    private async Task TakeBackReleasedAsync(List<WorkItem> items, int max, CancellationToken cancellationToken)
    {
        while (items.Count < max && _released.TryDequeue(out var released))
        {
            var msg = Msg(released.Item);
            if (Stopwatch.GetElapsedTime(released.ReleasedAt) < _consumerAckWait / 2)
            {
                await msg.AckProgressAsync(new AckOpts { DoubleAck = true }, cancellationToken).ConfigureAwait(false);
                items.Add(ToWorkItem(msg));
            }
            else
            {
                await msg.NakAsync(new AckOpts { DoubleAck = true }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// After -max-failures: a copy goes to -nats-dead-letter-subject (stored: a JetStream ack is awaited) with
    /// headers naming where it came from, then the message is terminated so it is not delivered again. Without
    /// that subject, a limits stream keeps the terminated message (readable by its sequence); a work-queue or
    /// interest stream would delete it, so there the subject is required.
    /// </summary>
    public Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken) =>
        _link.RunAsync(async connection =>
        {
            var msg = Msg(item);
            if (_deadLetterSubject is { } subject)
            {
                var js = await _link.JetStreamAsync(cancellationToken).ConfigureAwait(false);
                var headers = new NatsHeaders
                {
                    ["Procx-Source-Stream"] = _stream,
                    ["Procx-Source-Subject"] = msg.Subject,
                    ["Procx-Source-Sequence"] = item.Id ?? "",
                    ["Procx-Deliveries"] = (item.DeliveryCount ?? 0).ToString(CultureInfo.InvariantCulture),
                };
                var ack = await js.PublishAsync(subject, msg.Data ?? [], NatsRawSerializer<byte[]>.Default, headers: headers, cancellationToken: cancellationToken).ConfigureAwait(false);
                ack.EnsureSuccess();
            }
            else if (_retention != StreamConfigRetention.Limits)
            {
                throw _settings.Invalid(NatsSettings.DeadLetterSubject,
                    $"the stream '{_stream}' deletes a terminated message ({_retention} retention): -max-failures needs a dead-letter subject a stream captures");
            }
            await msg.AckTerminateAsync(new AckOpts { DoubleAck = true }, cancellationToken).ConfigureAwait(false);
            _log.Warn("message terminated: JetStream will not deliver it again", ("stream", _stream), ("sequence", item.Id), ("dead_letter_subject", _deadLetterSubject));
        }, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (!_released.IsEmpty)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (_released.TryDequeue(out var released))
            {
                try
                {
                    await Msg(released.Item).NakAsync(new AckOpts { DoubleAck = true }, cts.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    _log.Warn("could not hand back a released message; it is redelivered after its ack wait", ("error", e.Message));
                }
            }
        }
        await _link.DisposeAsync().ConfigureAwait(false);
        _setupGate.Dispose();
    }

    /// <summary>The stream (created only with -nats-create-stream) and the durable consumer (created if missing).</summary>
    private async Task<INatsJSConsumer> ConsumerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _consumer) is { } ready)
        {
            return ready;
        }
        await _setupGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_consumer is not null)
            {
                return _consumer;
            }
            var js = await _link.JetStreamAsync(cancellationToken).ConfigureAwait(false);
            var stream = await JetStreamSetup.StreamAsync(js, _settings, _stream, _subject, _createStream, _log, cancellationToken).ConfigureAwait(false);
            _retention = stream.Info.Config.Retention;
            INatsJSConsumer consumer;
            try
            {
                consumer = await js.GetConsumerAsync(_stream, _consumerName, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                var config = new ConsumerConfig(_consumerName)
                {
                    DurableName = _consumerName,
                    AckPolicy = ConsumerConfigAckPolicy.Explicit,
                    AckWait = _ackWait,
                    MaxDeliver = -1,
                    FilterSubject = _subject,
                };
                consumer = await js.CreateOrUpdateConsumerAsync(_stream, config, cancellationToken).ConfigureAwait(false);
                _log.Info("created the durable pull consumer", ("stream", _stream), ("consumer", _consumerName), ("ack_wait", _ackWait));
            }
            var info = consumer.Info.Config;
            if (info.AckPolicy != ConsumerConfigAckPolicy.Explicit)
            {
                throw _settings.Invalid(NatsSettings.Consumer, $"the consumer '{_consumerName}' of stream '{_stream}' acknowledges with '{info.AckPolicy}': procx needs explicit acks to redeliver a failed message");
            }
            if (!string.IsNullOrEmpty(info.DeliverSubject))
            {
                throw _settings.Invalid(NatsSettings.Consumer, $"the consumer '{_consumerName}' of stream '{_stream}' is a push consumer: procx reads a pull consumer");
            }
            if (info.AckWait > TimeSpan.Zero)
            {
                _consumerAckWait = info.AckWait;
            }
            Volatile.Write(ref _consumer, consumer);
            return consumer;
        }
        finally
        {
            _setupGate.Release();
        }
    }
}
