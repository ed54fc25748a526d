using Drivers.Core.Settings;

namespace Drivers.ActiveMq;

/// <summary>
/// The flags of the activemq driver, for procx and pushx alike: the originals' names (address, type, name,
/// TLS) plus the new ones (credentials, the CONNECT host header, heart-beats, the dead-letter queue, and the
/// web console KEDA's scaler reads). <see cref="ActiveMqConnectionFactory"/> builds the STOMP connection from them.
/// </summary>
internal static class ActiveMqSettings
{
    public static readonly Setting Address = new("activemq-address", "The broker's STOMP address, host:port") { Default = "127.0.0.1:61613" };

    // The original procx had no default (it failed without one) and pushx had no such flag at all.
    public static readonly Setting Type = new("activemq-type", "Destination type for a bare -activemq-name: queue or topic (a name starting with / is used as it is)")
    {
        Choices = ["queue", "topic"],
        Default = "queue",
    };

    public static readonly Setting Name = new("activemq-name", "The queue or topic name (or a full STOMP destination such as /queue/jobs)") { Required = true };

    public static readonly Setting User = new("activemq-user", "STOMP login (CONNECT login header)");

    public static readonly Setting Password = new("activemq-password", "STOMP passcode (CONNECT passcode header)") { Secret = true };

    public static readonly Setting VirtualHost = new("activemq-vhost", "The CONNECT frame's host header: RabbitMQ's virtual host; ActiveMQ ignores it") { Default = "/" };

    public static readonly Setting HeartBeat = new("activemq-heart-beat", "Heart-beat period both ways; a broker silent for twice this long (at least this + 5s) is taken as gone (0s: none)")
    {
        Type = SettingType.Duration,
        Default = "10s",
        Min = "0s",
        Max = "1h",
    };

    public static readonly Setting EnableTls = new("activemq-enable-tls", "Connect with TLS (ActiveMQ's stomp+ssl connector)") { Type = SettingType.Bool };

    public static readonly Setting TlsInsecure = new("activemq-tls-insecure", "Do not verify the broker's TLS certificate (testing only)") { Type = SettingType.Bool };

    public static readonly Setting TlsCaFile = new("activemq-tls-ca-file", "PEM file of the CA that signed the broker's certificate (with -activemq-enable-tls)");

    public static readonly Setting TlsCertFile = new("activemq-tls-cert-file", "PEM client certificate for mutual TLS (with -activemq-tls-key-file)");

    public static readonly Setting TlsKeyFile = new("activemq-tls-key-file", "PEM private key of -activemq-tls-cert-file");

    public static readonly Setting DeadLetterName = new("activemq-dead-letter-name", "Where -max-failures moves a message (a copy, sent in one transaction with the ACK of the original); same destination rule as -activemq-name")
    {
        Default = "ActiveMQ.DLQ",
    };

    public static readonly Setting ManagementEndpoint = new("activemq-management-endpoint", "host:port of ActiveMQ's web console (Jolokia), for KEDA's activemq scaler only (procx -k8s-manifest)");

    public static readonly Setting BrokerName = new("activemq-broker-name", "The broker's name (brokerName in activemq.xml), for KEDA's activemq scaler only") { Default = "localhost" };

    public static readonly Setting ManagementUser = new("activemq-management-user", "Web console user, for KEDA's activemq scaler only (its TriggerAuthentication)");

    public static readonly Setting ManagementPassword = new("activemq-management-password", "Web console password, for KEDA's activemq scaler only (its TriggerAuthentication)") { Secret = true };

    private static readonly Setting[] Connection = [Address, Type, Name, User, Password, VirtualHost, HeartBeat, EnableTls, TlsInsecure, TlsCaFile, TlsCertFile, TlsKeyFile];

    public static IReadOnlyList<Setting> Source { get; } = [.. Connection, DeadLetterName, ManagementEndpoint, BrokerName, ManagementUser, ManagementPassword];

    public static IReadOnlyList<Setting> Sink { get; } = Connection;
}
