using Drivers.Core.Registry;

namespace Drivers.ActiveMq;

/// <summary>Registers the activemq driver (STOMP 1.2: ActiveMQ, and RabbitMQ's STOMP plugin) for both tools (docs/activemq.md).</summary>
public static class ActiveMqDrivers
{
    public static DriverRegistry AddActiveMqDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("activemq", "One message from an ActiveMQ (STOMP) queue or topic, acknowledged after the job succeeded", ActiveMqSettings.Source, c => new ActiveMqSource(c))
        {
            Capabilities = SourceCapabilities.Of<ActiveMqSource>(DeliveryGuarantee.AtLeastOnce,
                "A message is ACKed only after the job succeeded; a failed or released one is handed back (UNSUBSCRIBE without ACK) and the broker redelivers it at once, as it does when procx dies or the connection drops. On a topic (-activemq-type topic) there is no backlog: a message published while no procx is subscribed is not seen.") with
            {
                Keda = ActiveMqKeda.Queue,
            },
            Examples =
            [
                new("Run a worker for each message of the queue jobs", "procx -driver activemq -activemq-address 127.0.0.1:61613 -activemq-name jobs -daemon ./work.sh"),
                new("Four at a time, dead-lettering a message after 3 failures", "procx -driver activemq -activemq-name jobs -concurrency 4 -max-failures 3 -daemon ./work.sh"),
            ],
        })
        .Add(new SinkDescriptor("activemq", "SENDs the input as a persistent message to an ActiveMQ (STOMP) queue or topic and waits for the broker's receipt", ActiveMqSettings.Sink, c => new ActiveMqSink(c))
        {
            Examples =
            [
                new("Queue a job on the queue jobs", "echo '{\"id\":1}' | pushx -driver activemq -activemq-address 127.0.0.1:61613 -activemq-name jobs"),
                new("Publish on the topic events", "pushx -driver activemq -activemq-type topic -activemq-name events -in started"),
            ],
        });
}
