using Drivers.Core.Settings;

namespace Drivers.RabbitMq;

/// <summary>
/// Every flag and env var of the rabbitmq source and sink, declared once. The connection and the queue
/// declaration are one group shared by procx and pushx, so both tools declare the queue the same way (the
/// originals did not: procx declared it exclusive, pushx non-durable, and each failed on the other's queue).
/// </summary>
internal static class RabbitMqSettings
{
    // The URL carries the password (amqp://user:pass@host:port/vhost): secret, never printed.
    public static readonly Setting Url = new("rabbitmq-url", "AMQP URL: amqp://user:password@host:5672/vhost, or amqps://… for TLS")
    {
        Required = true,
        Secret = true,
    };

    public static readonly Setting Queue = new("rabbitmq-queue", "The queue procx consumes from; pushx declares it and publishes to it through the default exchange (with -rabbitmq-exchange: optional, declared when given)");

    public static readonly Setting Passive = new("rabbitmq-passive", "Do not declare the queue: use it as it exists (its arguments may differ from the settings below); fail if it does not exist")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting Durable = new("rabbitmq-durable", "Declare the queue durable (it and its persistent messages survive a broker restart)")
    {
        Type = SettingType.Bool,
        Default = "true",
    };

    public static readonly Setting QueueType = new("rabbitmq-queue-type", "Queue type to declare: classic or quorum (replicated; needs -rabbitmq-durable)")
    {
        Choices = ["classic", "quorum"],
        Default = "classic",
    };

    public static readonly Setting DeadLetterExchange = new("rabbitmq-dead-letter-exchange", "Exchange dead letters go to (x-dead-letter-exchange; it must exist): -max-failures and expired messages");

    public static readonly Setting DeadLetterRoutingKey = new("rabbitmq-dead-letter-routing-key", "Routing key dead letters are published with (x-dead-letter-routing-key; default: the message's own, or -rabbitmq-dead-letter-queue)");

    public static readonly Setting DeadLetterQueue = new("rabbitmq-dead-letter-queue", "A durable queue declared to receive the dead letters: bound to -rabbitmq-dead-letter-exchange, or, without one, reached through the default exchange");

    public static readonly Setting MessageTtl = new("rabbitmq-message-ttl", "Messages older than this expire (x-message-ttl), to the dead-letter exchange where one is set; 0 = never")
    {
        Type = SettingType.Duration,
        Default = "0s",
        Min = "0s",
        Max = Setting.LongestTimer,
    };

    public static readonly Setting TlsCaFile = new("rabbitmq-tls-ca-file", "PEM file of the CA that signed the broker's certificate (amqps://)");

    public static readonly Setting TlsCertFile = new("rabbitmq-tls-cert-file", "PEM client certificate for mutual TLS (with -rabbitmq-tls-key-file)");

    public static readonly Setting TlsKeyFile = new("rabbitmq-tls-key-file", "PEM private key of -rabbitmq-tls-cert-file");

    public static readonly Setting TlsSkipVerify = new("rabbitmq-tls-skip-verify", "Do not verify the broker's TLS certificate (testing only)")
    {
        Type = SettingType.Bool,
        EnvAliases = ["RABBITMQ_TLS_INSECURE"],
    };

    // pushx's original declared this flag but never read it (it always published to the default exchange).
    public static readonly Setting Exchange = new("rabbitmq-exchange", "Exchange to publish to (it must exist); default: the default exchange, routed by queue name");

    public static readonly Setting RoutingKey = new("rabbitmq-routing-key", "Routing key to publish with (default: -rabbitmq-queue)");

    private static IReadOnlyList<Setting> Shared { get; } =
        [Url, Queue, Passive, Durable, QueueType, DeadLetterExchange, DeadLetterRoutingKey, DeadLetterQueue, MessageTtl, TlsCaFile, TlsCertFile, TlsKeyFile, TlsSkipVerify];

    public static IReadOnlyList<Setting> Source { get; } = Shared;

    public static IReadOnlyList<Setting> Sink { get; } = [.. Shared, Exchange, RoutingKey];
}
