using Drivers.Core.Settings;

namespace Drivers.Core.Registry;

/// <summary>
/// How KEDA scales workers of a source: the scaler's trigger type (KEDA's own name, e.g. <c>aws-sqs-queue</c>),
/// its metadata read from the driver's settings, and what it authenticates with. Declared next to the
/// driver's settings, in its descriptor; <c>procx -k8s-manifest</c> and docs/kubernetes.md read it.
/// </summary>
/// <param name="Type">KEDA's trigger type.</param>
/// <param name="Metadata">The trigger's metadata, in KEDA's names, from the bound settings and the threshold.</param>
public sealed record KedaScaler(string Type, Func<KedaInput, IReadOnlyList<KeyValuePair<string, string>>> Metadata)
{
    /// <summary>Secret settings the scaler needs too, by KEDA's TriggerAuthentication parameter name (<c>password</c>).</summary>
    public IReadOnlyList<KedaSecret> Secrets { get; init; } = [];

    /// <summary>KEDA's pod identity provider for cloud credentials (<c>aws</c>, <c>gcp</c>), or null.</summary>
    public string? PodIdentity { get; init; }

    /// <summary>True when the scaler counts work with a query the user writes (<c>-k8s-scale-query</c>): SQL sources.</summary>
    public bool NeedsQuery { get; init; }

    /// <summary>
    /// Whether the scaler fits these settings, for a driver with a mode KEDA cannot count (core NATS without a
    /// stream); null for always. Where it does not, the manifest gets fixed workers and <c>NoKedaScaler</c>'s reason.
    /// </summary>
    public Func<SettingValues, bool>? AppliesTo { get; init; }
}

/// <summary>A secret setting handed to the scaler as TriggerAuthentication parameter <paramref name="Parameter"/>.</summary>
public sealed record KedaSecret(string Parameter, Setting Setting);

/// <summary>What a scaler's metadata is made from: the driver's bound settings, the per-replica target, a count query.</summary>
public sealed record KedaInput(SettingValues Settings, int Threshold, string? Query);
