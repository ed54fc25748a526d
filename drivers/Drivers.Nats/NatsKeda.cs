using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.Nats;

/// <summary>
/// KEDA's <c>nats-jetstream</c> scaler, for JetStream mode: it reads the consumer's backlog from the server's
/// HTTP monitoring endpoint. Core NATS holds no backlog to count, so without -nats-stream there is no scaler.
/// </summary>
internal static class NatsKeda
{
    public const string NoScalerReason = "core NATS (without -nats-stream) keeps no backlog to count; KEDA's nats-jetstream scaler counts a JetStream consumer's";

    public static KedaScaler JetStream { get; } = new("nats-jetstream", input =>
    {
        var settings = input.Settings;
        var endpoint = settings.GetString(NatsSettings.MonitoringEndpoint) is { Length: > 0 } e
            ? e
            : throw settings.Invalid(NatsSettings.MonitoringEndpoint, "KEDA's nats-jetstream scaler reads the server's monitoring endpoint (nats-server -m 8222): give its host:port");
        var https = endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        var hostPort = endpoint.Replace("https://", "", StringComparison.OrdinalIgnoreCase).Replace("http://", "", StringComparison.OrdinalIgnoreCase).TrimEnd('/');
        return
        [
            new("natsServerMonitoringEndpoint", hostPort),
            new("account", settings.GetString(NatsSettings.Account) ?? "$G"),
            new("stream", settings.GetRequiredString(NatsSettings.Stream)),
            new("consumer", settings.GetRequiredString(NatsSettings.Consumer)),
            new("lagThreshold", input.Threshold.ToString(CultureInfo.InvariantCulture)),
            new("useHttps", https ? "true" : "false"),
        ];
    })
    {
        AppliesTo = NatsSettings.IsJetStream,
    };
}
