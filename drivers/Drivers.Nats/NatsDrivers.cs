using Drivers.Core.Registry;

namespace Drivers.Nats;

/// <summary>Registers the nats driver: core NATS as the original, JetStream with -nats-stream (docs/nats.md).</summary>
public static class NatsDrivers
{
    public static DriverRegistry AddNatsDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("nats", "The next message on a NATS subject (core NATS, as the original), or from a JetStream stream's durable pull consumer with -nats-stream (at least once)",
            NatsSettings.Source, c => NatsSettings.IsJetStream(c.Settings) ? new JetStreamSource(c) : new NatsCoreSource(c))
        {
            // The interfaces are JetStream's (core NATS mode implements none of them); the guarantee is JetStream's too.
            Capabilities = SourceCapabilities.Of<JetStreamSource>(DeliveryGuarantee.AtLeastOnce,
                "With -nats-stream: acked after success, nak'ed with -nats-nak-delay on failure, the ack wait renewed (+WPI) while the job runs; held by a dead procx, redelivered after the ack wait; -max-failures publishes to -nats-dead-letter-subject and terminates. Without -nats-stream (core NATS): at most once, a failed or unfinished plain message is gone; a request gets -nats-clear-response / -nats-fail-response.") with
            {
                Keda = NatsKeda.JetStream,
                NoKedaScaler = NatsKeda.NoScalerReason,
            },
            Examples =
            [
                new("Answer requests on a subject (core NATS), one worker of the queue group jobs", "procx -driver nats -nats-url nats://127.0.0.1:4222 -nats-subject jobs.run -nats-queue-group jobs -daemon ./job.sh"),
                new("Work through a JetStream stream at least once", "procx -driver nats -nats-stream JOBS -nats-consumer workers -nats-subject 'jobs.>' -daemon -concurrency 4 ./job.sh"),
            ],
        })
        .Add(new SinkDescriptor("nats", "Publishes the input on a NATS subject (core NATS), or to a JetStream stream with a publish ack (-nats-stream)", NatsSettings.Sink, c => new NatsSink(c))
        {
            Examples =
            [
                new("Publish a message", "echo '{\"id\":7}' | pushx -driver nats -nats-subject events"),
                new("Store a job in the stream JOBS (exit 0 once JetStream acked it)", "echo '{\"id\":7}' | pushx -driver nats -nats-stream JOBS -nats-subject jobs.run"),
            ],
        });
}
