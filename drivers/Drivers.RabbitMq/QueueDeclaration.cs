using Drivers.Core.Settings;

namespace Drivers.RabbitMq;

/// <summary>How both tools declare the queue: one declaration, from the shared settings.</summary>
internal sealed record QueueDeclaration(bool Passive, bool Durable, string QueueType, string? DeadLetterExchange, string? DeadLetterRoutingKey, string? DeadLetterQueue, long TtlMs)
{
    /// <summary>True when a message nacked without requeue goes somewhere (it is dropped otherwise).</summary>
    public bool DeadLetters => DeadLetterExchange is not null;

    public static QueueDeclaration From(SettingValues settings)
    {
        var durable = settings.GetBool(RabbitMqSettings.Durable);
        var type = settings.GetString(RabbitMqSettings.QueueType) ?? "classic";
        if (type == "quorum" && !durable)
        {
            throw settings.Invalid(RabbitMqSettings.Durable, "a quorum queue is always durable: do not set -rabbitmq-durable=false with -rabbitmq-queue-type quorum");
        }
        var exchange = settings.GetString(RabbitMqSettings.DeadLetterExchange) is { Length: > 0 } x ? x : null;
        var routingKey = settings.GetString(RabbitMqSettings.DeadLetterRoutingKey) is { Length: > 0 } k ? k : null;
        var queue = settings.GetString(RabbitMqSettings.DeadLetterQueue) is { Length: > 0 } q ? q : null;
        if (queue is not null && exchange is null)
        {
            // No exchange: through the default exchange, whose routing key is the queue's name.
            exchange = "";
            routingKey ??= queue;
        }
        if (routingKey is not null && exchange is null)
        {
            throw settings.Invalid(RabbitMqSettings.DeadLetterRoutingKey, "a dead-letter routing key needs -rabbitmq-dead-letter-exchange or -rabbitmq-dead-letter-queue");
        }
        var ttl = (long)settings.GetDuration(RabbitMqSettings.MessageTtl).TotalMilliseconds;
        return new QueueDeclaration(settings.GetBool(RabbitMqSettings.Passive), durable, type, exchange, routingKey, queue, ttl);
    }

    public Dictionary<string, object?>? Arguments()
    {
        var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (QueueType == "quorum")
        {
            arguments["x-queue-type"] = "quorum";
        }
        if (DeadLetterExchange is not null)
        {
            arguments["x-dead-letter-exchange"] = DeadLetterExchange;
        }
        if (DeadLetterRoutingKey is not null)
        {
            arguments["x-dead-letter-routing-key"] = DeadLetterRoutingKey;
        }
        if (TtlMs > 0)
        {
            arguments["x-message-ttl"] = TtlMs;
        }
        return arguments.Count == 0 ? null : arguments;
    }
}
