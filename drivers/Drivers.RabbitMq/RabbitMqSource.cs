using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Drivers.RabbitMq;

/// <summary>
/// Takes messages from a queue with basic.get and manual acknowledgement: exactly as many as the host asks for
/// (one, or the free -concurrency slots), so procx never holds a message it cannot start; a consumer with a
/// prefetch window would keep receiving messages while every slot is busy. Clear acks; fail and release nack
/// with requeue (the message goes back to the queue at once); dead-letter nacks without requeue, to the
/// dead-letter exchange. A message taken and never settled (procx killed, connection lost) is requeued by the
/// broker when the channel closes. The Go original declared the queue exclusive (405 on a queue pushx had
/// declared; the queue and its messages deleted when procx disconnected) and never acked.
/// </summary>
internal sealed class RabbitMqSource : ISourceDriver, IBatchSource, IDeadLetterSource, IFailureTranslator
{
    /// <summary>How long to wait between basic.get polls on an empty queue, at most.</summary>
    internal static readonly TimeSpan MaxPoll = TimeSpan.FromMilliseconds(250);

    private readonly RabbitMqClient _client;
    private readonly string _queue;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public RabbitMqSource(DriverContext context)
    {
        _client = new RabbitMqClient(context.Settings, context.Log, confirms: false, queueRequired: true);
        _queue = _client.Queue!;
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)) is [var item] ? item : null;

    public async Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        var poll = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var items = await GetAsync(Math.Max(1, max), cancellationToken).ConfigureAwait(false);
            var left = deadline - DateTime.UtcNow;
            if (items.Count > 0 || left <= TimeSpan.Zero)
            {
                return items;
            }
            await Task.Delay(poll < left ? poll : left, cancellationToken).ConfigureAwait(false);
            poll = TimeSpan.FromTicks(Math.Min(poll.Ticks * 2, MaxPoll.Ticks));
        }
    }

    private async Task<List<WorkItem>> GetAsync(int max, CancellationToken cancellationToken)
    {
        var channel = await _client.ChannelAsync(cancellationToken).ConfigureAwait(false);
        var items = new List<WorkItem>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (items.Count < max)
            {
                var result = await channel.BasicGetAsync(_queue, autoAck: false, cancellationToken).ConfigureAwait(false);
                if (result is null)
                {
                    break;
                }
                items.Add(ToWorkItem(channel, result));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && Translate(e) is { } translated)
        {
            // Normally the channel is gone and the broker has requeued what it handed out on it, these included;
            // should it still be open, hand them back here rather than hold them unseen until procx exits.
            await RequeueTakenAsync(channel, items).ConfigureAwait(false);
            throw translated;
        }
        finally
        {
            _gate.Release();
        }
        return items;
    }

    private static async Task RequeueTakenAsync(IChannel channel, List<WorkItem> items)
    {
        if (items.Count == 0 || !channel.IsOpen)
        {
            return;
        }
        try
        {
            // One by one: "multiple" would also hand back what running jobs took earlier on this channel.
            foreach (var item in items)
            {
                await channel.BasicNackAsync(((Delivery)item.DriverState!).Tag, multiple: false, requeue: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            // Closed after all: the broker requeues them itself.
        }
    }

    private WorkItem ToWorkItem(IChannel channel, BasicGetResult result)
    {
        var body = result.Body.ToArray();
        var properties = result.BasicProperties;
        var messageId = properties.IsMessageIdPresent() ? properties.MessageId : null;
        var templateData = TemplateData.FromPayloadBytes(body)
            .With("messageId", messageId)
            .With("exchange", result.Exchange)
            .With("routingKey", result.RoutingKey)
            .With("redelivered", JsonValue.Create(result.Redelivered))
            .With("queue", _queue);
        return new WorkItem(Payload.FromBytes(body))
        {
            Key = _queue,
            // The identity -max-failures counts by: the message id pushx gives every message, else the body
            // (a message published without an id by another client).
            Id = messageId ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body)),
            Receipt = result.DeliveryTag.ToString(System.Globalization.CultureInfo.InvariantCulture),
            TemplateData = templateData,
            DriverState = new Delivery(channel, result.DeliveryTag),
        };
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync(item, "ack", (channel, tag) => channel.BasicAckAsync(tag, multiple: false, cancellationToken), cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => RequeueAsync(item, cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => RequeueAsync(item, cancellationToken);

    public Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (!_client.Declaration.DeadLetters)
        {
            // A nack without requeue and no dead-letter exchange would drop the message.
            throw DriverException.Configuration(
                $"-max-failures needs a dead-letter place for queue '{_queue}': set {_client.Settings.Names(RabbitMqSettings.DeadLetterQueue)} or {_client.Settings.Names(RabbitMqSettings.DeadLetterExchange)}");
        }
        return SettleAsync(item, "nack to the dead-letter exchange", (channel, tag) => channel.BasicNackAsync(tag, multiple: false, requeue: false, cancellationToken), cancellationToken);
    }

    private Task RequeueAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync(item, "nack (requeue)", (channel, tag) => channel.BasicNackAsync(tag, multiple: false, requeue: true, cancellationToken), cancellationToken);

    private async Task SettleAsync(WorkItem item, string what, Func<IChannel, ulong, ValueTask> settle, CancellationToken cancellationToken)
    {
        var delivery = (Delivery)item.DriverState!;
        if (!delivery.Channel.IsOpen)
        {
            throw Lost(what);
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await settle(delivery.Channel, delivery.Tag).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AlreadyClosedException or OperationInterruptedException or IOException)
        {
            throw Lost(what, e);
        }
        finally
        {
            _gate.Release();
        }
    }

    private DriverException Lost(string what, Exception? inner = null) => DriverException.Lost(
        $"cannot {what} the message: the channel it came on to rabbitmq at {_client.Endpoint} closed, and the broker has requeued it", inner);

    public DriverException? Translate(Exception error) => _client.Translate(error);

    public async ValueTask DisposeAsync()
    {
        // Closing the channel requeues every message still held on it.
        await _client.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private sealed record Delivery(IChannel Channel, ulong Tag);
}
