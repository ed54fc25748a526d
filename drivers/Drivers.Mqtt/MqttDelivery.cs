using MQTTnet;

namespace Drivers.Mqtt;

/// <summary>Where a delivered QoS 1 message stands in this procx.</summary>
internal enum DeliveryState
{
    /// <summary>Received, waiting in the buffer for a fetch.</summary>
    Buffered,

    /// <summary>Handed to the host: a job runs it.</summary>
    Running,

    /// <summary>Failed or released: left unacknowledged, waiting for the broker to send it again after a reconnect.</summary>
    Returning,

    /// <summary>Cleared: the PUBACK waits for the broker to resend it on the new connection.</summary>
    Acking,
}

/// <summary>
/// One QoS 1 message the broker sent and this procx has not acknowledged, known by its packet id. The broker
/// keeps that id for the message until the PUBACK, and sends the message again with it (DUP) on each new
/// connection of the session, so a resend finds this record and its acknowledgement handle is replaced.
/// </summary>
internal sealed class MqttDelivery(ushort packetId, string topic, byte[] payload)
{
    public ushort PacketId { get; } = packetId;

    public string Topic { get; } = topic;

    public byte[] Payload { get; } = payload;

    /// <summary>The message as last sent (its DUP flag tells a resend).</summary>
    public MqttApplicationMessage? Message { get; set; }

    /// <summary>A QoS 0 message: nothing to acknowledge, and it cannot come back.</summary>
    public bool IsQos0 { get; init; }

    public DeliveryState State { get; set; }

    /// <summary>The handle that sends the PUBACK on the connection it came from.</summary>
    public MqttApplicationMessageReceivedEventArgs? Handle { get; set; }

    /// <summary>The connection (counted from 1) <see cref="Handle"/> belongs to.</summary>
    public int Connection { get; set; }

    /// <summary>The broker lost the session (it restarted without persistence): this message can no longer be acknowledged.</summary>
    public bool Orphaned { get; set; }

    /// <summary>Set when the PUBACK went out (or can never go out: orphaned).</summary>
    public TaskCompletionSource Acked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
