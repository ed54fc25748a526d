using Drivers.Core.Settings;

namespace Drivers.Mqtt;

/// <summary>
/// The flags of the mqtt driver, for procx and pushx. The originals have no MQTT driver, so the names follow
/// their style (-redis-host, -redis-enable-tls, …). <see cref="MqttConnectionFactory"/> builds the client.
/// </summary>
internal static class MqttSettings
{
    public static readonly Setting Host = new("mqtt-host", "MQTT broker host name or address") { Default = "127.0.0.1" };

    public static readonly Setting Port = new("mqtt-port", "MQTT broker port (1883; 8883 is the usual TLS port)")
    {
        Type = SettingType.Int,
        Default = "1883",
        Min = "1",
        Max = "65535",
    };

    public static readonly Setting Topic = new("mqtt-topic",
        "procx: the topic filter to subscribe to (+ and # wildcards; $share/GROUP/FILTER splits it between the procx of a group); pushx: the topic to publish to")
    {
        Required = true,
    };

    public static readonly Setting ClientId = new("mqtt-client-id",
        "Client id. procx: names its persistent session, so it must be stable across restarts and unique per procx (default: procx and 16 hex digits of a hash of host, port and topic); pushx: default a random id")
    ;

    public static readonly Setting User = new("mqtt-user", "User name to connect with");

    public static readonly Setting Password = new("mqtt-password", "Password to connect with (with -mqtt-user)") { Secret = true };

    public static readonly Setting ProtocolVersion = new("mqtt-protocol-version", "MQTT protocol version: 5 or 3.1.1")
    {
        Choices = ["5", "3.1.1"],
        ChoiceAliases = new Dictionary<string, string> { ["5.0"] = "5", ["311"] = "3.1.1", ["4"] = "3.1.1" },
        Default = "5",
    };

    public static readonly Setting KeepAlive = new("mqtt-keep-alive", "Keep-alive period: the broker drops the connection (and redelivers what was unacknowledged) after 1.5 times this without a packet")
    {
        Type = SettingType.Duration,
        Default = "30s",
        Min = "1s",
        Max = "18h",
    };

    public static readonly Setting EnableTls = new("mqtt-enable-tls", "Connect with TLS") { Type = SettingType.Bool };

    public static readonly Setting TlsCaFile = new("mqtt-tls-ca-file", "PEM file of the CA that signed the broker's certificate (with -mqtt-enable-tls)");

    public static readonly Setting TlsCertFile = new("mqtt-tls-cert-file", "PEM client certificate for mutual TLS (with -mqtt-tls-key-file)");

    public static readonly Setting TlsKeyFile = new("mqtt-tls-key-file", "PEM private key of -mqtt-tls-cert-file");

    public static readonly Setting TlsSkipVerify = new("mqtt-tls-skip-verify", "Do not verify the broker's TLS certificate (testing only)") { Type = SettingType.Bool };

    // procx only.
    public static readonly Setting SessionExpiry = new("mqtt-session-expiry",
        "How long the broker keeps procx's session (its subscription and the QoS 1 messages queued for it) while procx is disconnected; 0: for ever (MQTT 5; 3.1.1 sessions never expire)")
    {
        Type = SettingType.Duration,
        Default = "0s",
        Min = "0s",
        Max = "1193046h",
    };

    public static readonly Setting ReceiveMaximum = new("mqtt-receive-maximum",
        "How many unacknowledged messages the broker may send procx at once (MQTT 5 Receive Maximum): the running jobs plus a few buffered; buffered messages are not offered to the other members of a $share group")
    {
        Type = SettingType.Int,
        Default = "10",
        Min = "1",
        Max = "65535",
    };

    public static readonly Setting Wait = new("mqtt-wait",
        "How long a fetch that asks for no waiting (a one-shot procx) waits for a message after connecting: the broker sends a session's queued messages right after the connection, and MQTT cannot say how many there are")
    {
        Type = SettingType.Duration,
        Default = "1s",
        Min = "0s",
        Max = Setting.LongestTimer,
    };

    public static readonly Setting DeadLetterTopic = new("mqtt-dead-letter-topic",
        "With -max-failures: the topic a message that failed that many times is published to (QoS 1) before it is acknowledged (default: dead-letter/ and the message's topic)");

    // pushx only.
    public static readonly Setting Qos = new("mqtt-qos", "QoS to publish with: 0 (no acknowledgement), 1 (PUBACK) or 2 (PUBCOMP); pushx exits 0 only after the broker acknowledged")
    {
        Choices = ["0", "1", "2"],
        Default = "1",
    };

    public static readonly Setting Retain = new("mqtt-retain", "Publish a retained message: the broker keeps the last one of the topic and gives it to every new subscriber")
    {
        Type = SettingType.Bool,
    };

    public static IReadOnlyList<Setting> Connection { get; } =
        [Host, Port, Topic, ClientId, User, Password, ProtocolVersion, KeepAlive, EnableTls, TlsCaFile, TlsCertFile, TlsKeyFile, TlsSkipVerify];

    public static IReadOnlyList<Setting> Source { get; } = [.. Connection, SessionExpiry, ReceiveMaximum, Wait, DeadLetterTopic];

    public static IReadOnlyList<Setting> Sink { get; } = [.. Connection, Qos, Retain];
}
