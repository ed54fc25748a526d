using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Registry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Drivers.RabbitMq;

/// <summary>
/// Publishes the input as one persistent message and waits for the broker's publisher confirm, so pushx exits 0
/// only once the broker has taken the message (to disk, for a durable queue). Mandatory: a message no queue
/// would receive comes back as an error instead of vanishing. The Go original published transient messages to
/// a non-durable queue without confirms, and ignored its -rabbitmq-exchange flag. An AMQP message is sent
/// whole, so the input is read into memory (the broker's own limit, max_message_size, is 128 MB by default).
/// A batch (pushx -lines -batch-size) publishes every line, then waits once for all their confirms.
/// </summary>
internal sealed class RabbitMqSink : ISinkDriver, IBatchSink, IFailureTranslator
{
    private readonly RabbitMqClient _client;
    private readonly string _exchange;
    private readonly string _routingKey;

    public RabbitMqSink(DriverContext context)
    {
        var settings = context.Settings;
        _exchange = settings.GetString(RabbitMqSettings.Exchange) ?? "";
        _client = new RabbitMqClient(settings, context.Log, confirms: true, queueRequired: _exchange.Length == 0);
        _routingKey = settings.GetString(RabbitMqSettings.RoutingKey) is { Length: > 0 } key ? key : _client.Queue ?? "";
        if (_exchange.Length == 0 && settings.IsSet(RabbitMqSettings.RoutingKey) && _routingKey != _client.Queue)
        {
            throw settings.Invalid(RabbitMqSettings.RoutingKey, "through the default exchange the routing key is the queue's name: set -rabbitmq-exchange too, or leave the routing key out");
        }
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var body = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var channel = await _client.ChannelAsync(cancellationToken).ConfigureAwait(false);
        if (_exchange.Length > 0)
        {
            await CheckExchangeAsync(channel, cancellationToken).ConfigureAwait(false);
        }
        try
        {
            // With publisher confirms on, this returns once the broker confirmed (and throws on a nack or a return).
            await channel.BasicPublishAsync(_exchange, _routingKey, mandatory: true, Properties(), body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    // AMQP sets no count on the messages awaiting confirms; a thousand in flight bounds the broker's confirm
    // bookkeeping and pushx's memory. Each message stays under the broker's max_message_size on its own.
    public int MaxBatchCount => 1000;

    public long MaxBatchBytes => 64L * 1024 * 1024;

    /// <summary>
    /// Publishes every message before waiting for any confirm (the client sends them in order on the channel),
    /// then waits for all of them. A message the broker nacks (a full queue with overflow reject-publish) or
    /// returns (unroutable) is refused by its index while the others were taken; when the channel itself failed
    /// and none was confirmed, the batch fails as a whole.
    /// </summary>
    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var channel = await _client.ChannelAsync(cancellationToken).ConfigureAwait(false);
        if (_exchange.Length > 0)
        {
            await CheckExchangeAsync(channel, cancellationToken).ConfigureAwait(false);
        }
        var confirms = new Task[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            confirms[i] = channel.BasicPublishAsync(_exchange, _routingKey, mandatory: true, Properties(), messages[i], cancellationToken).AsTask();
        }
        try
        {
            await Task.WhenAll(confirms).ConfigureAwait(false);
            return [];
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Each message's own outcome is looked at below.
        }
        var rejections = new List<BatchRejection>();
        for (var i = 0; i < confirms.Length; i++)
        {
            if (confirms[i].Exception?.InnerException is { } e)
            {
                rejections.Add(new BatchRejection(i, Translate(e) ?? DriverException.Transient($"rabbitmq at {_client.Endpoint}: {ErrorText.Describe(e)}", e)));
            }
        }
        if (rejections.Count == confirms.Length && !confirms.Any(c => c.Exception?.InnerException is PublishException))
        {
            throw rejections[0].Error;
        }
        return rejections;
    }

    private static BasicProperties Properties() => new()
    {
        Persistent = true,
        MessageId = Guid.NewGuid().ToString("N"),
        Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
    };

    private bool _exchangeChecked;

    /// <summary>A publish to a missing exchange closes the channel with 404; checked once, for a clear error.</summary>
    private async Task CheckExchangeAsync(IChannel channel, CancellationToken cancellationToken)
    {
        if (_exchangeChecked)
        {
            return;
        }
        try
        {
            await channel.ExchangeDeclarePassiveAsync(_exchange, cancellationToken).ConfigureAwait(false);
            _exchangeChecked = true;
        }
        catch (Exception e) when (e is not OperationCanceledException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    public DriverException? Translate(Exception error) => _client.Translate(error);

    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
