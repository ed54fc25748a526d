using Drivers.Core.Settings;

namespace Drivers.Gcp;

/// <summary>Every flag and env var of the gcp-pubsub driver, declared once.</summary>
internal static class PubSubSettings
{
    // The originals read PROCX_GCP_SUBSCRIPTION and PUSHX_GCP_TOPIC; the flag-derived names work too.
    public static readonly Setting Subscription = new("gcp-pubsub-subscription", "Pub/Sub subscription to pull from (a name, or projects/P/subscriptions/S)")
    {
        Required = true,
        EnvAliases = ["GCP_SUBSCRIPTION"],
    };

    public static readonly Setting Topic = new("gcp-pubsub-topic", "Pub/Sub topic to publish to (a name, or projects/P/topics/T)")
    {
        Required = true,
        EnvAliases = ["GCP_TOPIC"],
    };

    public static readonly Setting Attributes = new("gcp-pubsub-attributes", "Message attributes as a JSON object of strings; values may be templates, e.g. {\"id\":\"{{id}}\"}");

    public static readonly Setting OrderingKey = new("gcp-pubsub-ordering-key", "Ordering key of the message; may be a template such as {{customer}}");

    public static readonly Setting AckExtension = new("gcp-pubsub-ack-extension", "Ack deadline set on a pulled message and renewed while the child runs (10s to 600s)")
    {
        Type = SettingType.Duration,
        Default = "60s",
        // Pub/Sub's own limits for an ack deadline.
        Min = "10s",
        Max = "600s",
    };

    public static IReadOnlyList<Setting> Source { get; } = [.. GcpSettings.Connection(GcpSettings.PubSubEmulatorHost), Subscription, AckExtension];

    public static IReadOnlyList<Setting> Sink { get; } = [.. GcpSettings.Connection(GcpSettings.PubSubEmulatorHost), Topic, Attributes, OrderingKey];

    /// <summary>projects/P/KIND/NAME from a bare name or a full path.</summary>
    public static string FullName(string project, string kind, string name) =>
        name.StartsWith("projects/", StringComparison.Ordinal) ? name : $"projects/{project}/{kind}/{name}";
}
