using Drivers.Core.Settings;

namespace Procx.Kubernetes;

/// <summary>The settings of <c>procx -k8s-manifest</c>: what to generate, and the few things a cluster needs that procx cannot know.</summary>
internal static class K8sSettings
{
    public static readonly Setting Manifest = new("k8s-manifest", "Print Kubernetes manifests for these settings and command instead of running: deployment (a Deployment plus a KEDA ScaledObject) or job (a KEDA ScaledJob); nothing is fetched")
    {
        Choices = ["deployment", "job"],
    };

    public static readonly Setting Name = new("k8s-name", "Name of the generated objects (and their app label)") { Default = "procx-worker" };

    public static readonly Setting Namespace = new("k8s-namespace", "Namespace of the generated objects") { Default = "default" };

    public static readonly Setting Image = new("k8s-image", "Container image with procx and the command in it (see docs/container.md)") { Default = "ghcr.io/procx-dotnet/procx:latest" };

    public static readonly Setting MinReplicas = new("k8s-min-replicas", "Fewest workers KEDA keeps (0: none while there is no work)") { Type = SettingType.Int, Default = "0", Min = "0", Max = "1000" };

    public static readonly Setting MaxReplicas = new("k8s-max-replicas", "Most workers (or jobs) KEDA runs at once") { Type = SettingType.Int, Default = "10", Min = "1", Max = "1000" };

    public static readonly Setting ScaleThreshold = new("k8s-scale-threshold", "Waiting items per worker before KEDA adds one (the trigger's queueLength, listLength, value, …)") { Type = SettingType.Int, Default = "5", Min = "1", Max = "1000000" };

    public static readonly Setting ScaleQuery = new("k8s-scale-query", "SQL sources: a query that returns how many items wait, for KEDA's SQL scalers, e.g. SELECT count(*) FROM jobs WHERE status = 'pending'");

    public static IReadOnlyList<Setting> All { get; } = [Manifest, Name, Namespace, Image, MinReplicas, MaxReplicas, ScaleThreshold, ScaleQuery];
}
