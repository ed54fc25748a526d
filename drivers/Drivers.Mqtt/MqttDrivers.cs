using Drivers.Core.Registry;

namespace Drivers.Mqtt;

/// <summary>Registers the mqtt source and sink (docs/mqtt.md). Not in the Go originals.</summary>
public static class MqttDrivers
{
    public static DriverRegistry AddMqttDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("mqtt", "Messages of an MQTT topic filter, QoS 1 on a persistent session, acknowledged (PUBACK) after the job succeeded", MqttSettings.Source, c => new MqttSource(c))
        {
            Capabilities = SourceCapabilities.Of<MqttSource>(DeliveryGuarantee.AtLeastOnce,
                "An unacknowledged message stays in the broker's session for the client id: a failed or released one comes again (DUP) when procx reconnects, at once; a killed procx's when its client id connects next. QoS 0 messages cannot come back (docs/mqtt.md).") with
            {
                NoKedaScaler = "KEDA has no MQTT scaler, and MQTT brokers expose no per-session backlog to count",
            },
            Examples =
            [
                new("Run a worker for each message of sensors/+/readings", "procx -driver mqtt -mqtt-host 127.0.0.1 -mqtt-topic 'sensors/+/readings' -mqtt-client-id worker-1 -daemon ./work.sh"),
                new("Split a topic between the workers of the group jobs (MQTT 5 shared subscription)", "procx -driver mqtt -mqtt-topic '$share/jobs/jobs' -mqtt-client-id worker-$HOSTNAME -daemon ./work.sh"),
            ],
        })
        .Add(new SinkDescriptor("mqtt", "Publishes the input to an MQTT topic (QoS 0, 1 or 2; retain) and waits for the broker's acknowledgement", MqttSettings.Sink, c => new MqttSink(c))
        {
            Examples =
            [
                new("Publish a job to the topic jobs with QoS 1", "echo '{\"id\":1}' | pushx -driver mqtt -mqtt-host 127.0.0.1 -mqtt-topic jobs"),
                new("Set the retained state of a device", "pushx -driver mqtt -mqtt-topic devices/42/state -mqtt-retain -in on"),
            ],
        });
}
