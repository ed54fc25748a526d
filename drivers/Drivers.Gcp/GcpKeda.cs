using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.Gcp;

/// <summary>KEDA's Google Cloud scalers: gcp-pubsub (undelivered messages) and gcp-storage (objects in a bucket).</summary>
internal static class GcpKeda
{
    public static KedaScaler PubSub { get; } = new("gcp-pubsub", input =>
    [
        new("subscriptionName", input.Settings.GetRequiredString(PubSubSettings.Subscription)),
        new("mode", "SubscriptionSize"),
        new("value", input.Threshold.ToString(CultureInfo.InvariantCulture)),
    ])
    {
        PodIdentity = "gcp",
    };

    // KEDA counts the objects under a prefix (-gcp-gcs-key-prefix; the whole bucket without one).
    public static KedaScaler Storage { get; } = new("gcp-storage", input =>
    [
        new("bucketName", input.Settings.GetRequiredString(GcsSettings.Bucket)),
        new("targetObjectCount", input.Threshold.ToString(CultureInfo.InvariantCulture)),
        .. input.Settings.GetString(GcsSettings.KeyPrefix) is { Length: > 0 } prefix ? [new KeyValuePair<string, string>("blobPrefix", prefix)] : Array.Empty<KeyValuePair<string, string>>(),
    ])
    {
        PodIdentity = "gcp",
    };
}
