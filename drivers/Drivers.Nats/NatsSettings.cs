using Drivers.Core.Settings;

namespace Drivers.Nats;

/// <summary>
/// Every flag of the nats driver, declared once. The connection group is shared by procx and pushx and named
/// as in the originals; the JetStream settings (from <c>-nats-stream</c> on) are new. Without
/// <c>-nats-stream</c> both tools speak core NATS, as the originals did.
/// </summary>
internal static class NatsSettings
{
    // The originals had no default and refused to start without it; this is the address their client dialled by default.
    public static readonly Setting Url = new("nats-url", "NATS server URL(s), comma-separated: nats://host:4222, tls://host:4222 or host:port")
    {
        Default = "nats://127.0.0.1:4222",
    };

    public static readonly Setting Subject = new("nats-subject", "Subject to take messages from / publish to (with -nats-stream in procx: the consumer's filter, optional)");

    public static readonly Setting CredsFile = new("nats-creds-file", "Credentials file (user JWT and NKey seed, as nsc writes it)");

    public static readonly Setting JwtFile = new("nats-jwt-file", "File with the user JWT (with -nats-nkey-file holding its seed)");

    public static readonly Setting NKeyFile = new("nats-nkey-file", "File with a user NKey seed (SU…): NKey authentication, or the JWT's seed with -nats-jwt-file");

    public static readonly Setting Username = new("nats-username", "User name (with -nats-password)");

    public static readonly Setting Password = new("nats-password", "Password of -nats-username") { Secret = true };

    public static readonly Setting Token = new("nats-token", "Authentication token") { Secret = true };

    public static readonly Setting EnableTls = new("nats-enable-tls", "Connect with TLS (also implied by a tls:// URL)") { Type = SettingType.Bool };

    public static readonly Setting TlsInsecure = new("nats-tls-insecure", "Do not verify the server's TLS certificate (testing only)") { Type = SettingType.Bool };

    public static readonly Setting TlsCaFile = new("nats-tls-ca-file", "PEM file of the CA that signed the server's certificate (with -nats-enable-tls)");

    public static readonly Setting TlsCertFile = new("nats-tls-cert-file", "PEM client certificate for mutual TLS (with -nats-tls-key-file)");

    public static readonly Setting TlsKeyFile = new("nats-tls-key-file", "PEM private key of -nats-tls-cert-file");

    public static readonly Setting QueueGroup = new("nats-queue-group", "Core NATS: subscribe in this queue group, so each message goes to one of its workers");

    public static readonly Setting ClearResponse = new("nats-clear-response", "Core NATS: the reply sent to a request whose job succeeded") { Default = "0" };

    public static readonly Setting FailResponse = new("nats-fail-response", "Core NATS: the reply sent to a request whose job failed") { Default = "1" };

    public static readonly Setting Wait = new("nats-wait", "How long a one-shot procx waits for a message (default: core NATS until one arrives, as the original; JetStream answers at once)")
    {
        Type = SettingType.Duration,
        Max = Setting.LongestTimer,
    };

    public static readonly Setting Stream = new("nats-stream", "JetStream stream: procx reads it with a durable pull consumer (at least once); pushx publishes with a JetStream ack");

    public static readonly Setting Consumer = new("nats-consumer", "Durable pull consumer of -nats-stream; created (explicit ack) if missing") { Default = "procx" };

    public static readonly Setting CreateStream = new("nats-create-stream", "Create -nats-stream, capturing -nats-subject, if it does not exist (nothing is created otherwise)")
    {
        Type = SettingType.Bool,
    };

    public static readonly Setting AckWait = new("nats-ack-wait", "Ack wait of a consumer procx creates: an unacknowledged message is redelivered after it; renewed (+WPI) while the child runs")
    {
        Type = SettingType.Duration,
        Default = "30s",
        Min = "1s",
        Max = Setting.LongestTimer,
    };

    public static readonly Setting NakDelay = new("nats-nak-delay", "After a failed job the message is redelivered after this delay (NAK with delay)")
    {
        Type = SettingType.Duration,
        Default = "1s",
        Min = "0s",
        Max = Setting.LongestTimer,
    };

    public static readonly Setting DeadLetterSubject = new("nats-dead-letter-subject", "With -max-failures: publish a message that failed that often here (a stream must capture it), then terminate it; without it, it is only terminated (+TERM)");

    public static readonly Setting MonitoringEndpoint = new("nats-monitoring-endpoint", "The server's HTTP monitoring endpoint (host:8222, https:// for TLS), for KEDA's nats-jetstream scaler (-k8s-manifest)");

    public static readonly Setting Account = new("nats-account", "The NATS account of -nats-stream, for KEDA's nats-jetstream scaler") { Default = "$G" };

    public static IReadOnlyList<Setting> Connection { get; } =
        [Url, Subject, CredsFile, JwtFile, NKeyFile, Username, Password, Token, EnableTls, TlsInsecure, TlsCaFile, TlsCertFile, TlsKeyFile];

    public static IReadOnlyList<Setting> Source { get; } =
        [.. Connection, QueueGroup, ClearResponse, FailResponse, Wait, Stream, Consumer, CreateStream, AckWait, NakDelay, DeadLetterSubject, MonitoringEndpoint, Account];

    public static IReadOnlyList<Setting> Sink { get; } = [.. Connection, Stream, CreateStream];

    public static bool IsJetStream(SettingValues settings) => settings.GetString(Stream) is { Length: > 0 };
}
