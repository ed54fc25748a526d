using Drivers.Core.Registry;

namespace Drivers.RabbitMq;

/// <summary>Registers the rabbitmq source and sink (docs/rabbitmq.md).</summary>
public static class RabbitMqDrivers
{
    public static DriverRegistry AddRabbitMqDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("rabbitmq", "Messages from a RabbitMQ queue, taken with manual acknowledgement (acked after the job succeeded)", RabbitMqSettings.Source, c => new RabbitMqSource(c))
        {
            Capabilities = SourceCapabilities.Of<RabbitMqSource>(DeliveryGuarantee.AtLeastOnce,
                "A failed or released message is nacked back to the queue at once; one held by a procx that died or lost its connection is requeued by the broker when the channel closes; -max-failures nacks it to the dead-letter exchange.") with
            {
                Keda = RabbitMqKeda.Scaler,
            },
            Examples =
            [
                new("Run a worker for each message of the queue jobs", "procx -driver rabbitmq -rabbitmq-url amqp://guest:guest@127.0.0.1:5672/ -rabbitmq-queue jobs -daemon ./work.sh"),
                new("Four at a time; after 3 failures to the queue jobs.failed", "procx -driver rabbitmq -rabbitmq-url amqps://user:pass@mq.example:5671/ -rabbitmq-queue jobs -rabbitmq-dead-letter-queue jobs.failed -max-failures 3 -concurrency 4 -daemon ./work.sh"),
            ],
        })
        .Add(new SinkDescriptor("rabbitmq", "Publishes the input as a persistent message, confirmed by the broker (default exchange to a queue, or an exchange with a routing key)", RabbitMqSettings.Sink, c => new RabbitMqSink(c))
        {
            Examples =
            [
                new("Queue a job on the queue jobs", "echo '{\"id\":1}' | pushx -driver rabbitmq -rabbitmq-url amqp://guest:guest@127.0.0.1:5672/ -rabbitmq-queue jobs"),
                new("Publish to the exchange events with the routing key order.created", "pushx -driver rabbitmq -rabbitmq-url amqp://guest:guest@127.0.0.1:5672/ -rabbitmq-exchange events -rabbitmq-routing-key order.created -in '{\"id\":7}'"),
            ],
        });
}
