using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using RabbitMQ.Client;

namespace Drivers.RabbitMq;

/// <summary>
/// Publishes the input as one persistent message and waits for the broker's publisher confirm, so pushx exits 0
/// only once the broker has taken the message (to disk, for a durable queue). Mandatory: a message no queue
/// would receive comes back as an error instead of vanishing. The Go original published transient messages to
/// a non-durable queue without confirms, and ignored its -rabbitmq-exchange flag. An AMQP message is sent
/// whole, so the input is read into memory (the broker's own limit, max_message_size, is 128 MB by default).
/// </summary>
internal sealed class RabbitMqSink : ISinkDriver, IFailureTranslator
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
        var properties = new BasicProperties
        {
            Persistent = true,
            MessageId = Guid.NewGuid().ToString("N"),
            Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };
        try
        {
            // With publisher confirms on, this returns once the broker confirmed (and throws on a nack or a return).
            await channel.BasicPublishAsync(_exchange, _routingKey, mandatory: true, properties, body, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }

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
