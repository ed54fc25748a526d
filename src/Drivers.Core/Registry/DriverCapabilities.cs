using Drivers.Core.Contracts;

namespace Drivers.Core.Registry;

/// <summary>What a source promises about an item it handed out (docs/operations.md, the delivery guarantee).</summary>
public enum DeliveryGuarantee
{
    /// <summary>Nothing to lose or repeat: the work is not in an external store (e.g. <c>local</c>).</summary>
    None,

    /// <summary>An item is handed out once and is gone if the job fails or procx dies (e.g. pub/sub without redelivery).</summary>
    AtMostOnce,

    /// <summary>An item is removed only after its job succeeded; a crash before the clear sees it again.</summary>
    AtLeastOnce,
}

/// <summary>
/// What a source can do, declared next to its settings in its registration. <c>--list-drivers</c>,
/// <c>--help -driver X</c>, docs/drivers.md and docs/operations.md read it; nothing restates it by hand.
/// Lease, batch and dead-letter come from the interfaces the source type implements (<see cref="Of{TSource}"/>),
/// so the declaration cannot claim what the code does not do; the guarantee and the recovery note are the
/// driver author's word.
/// </summary>
public sealed record SourceCapabilities(DeliveryGuarantee Guarantee, bool Leases, bool Batches, bool DeadLetters)
{
    /// <summary>How an item comes back when a job failed or procx died holding it; one sentence for the docs.</summary>
    public string Recovery { get; init; } = "";

    /// <summary>KEDA's scaler for this source, or null when KEDA has none (<see cref="NoKedaScaler"/> says why).</summary>
    public KedaScaler? Keda { get; init; }

    /// <summary>Why there is no KEDA scaler, for the generator's message and the docs.</summary>
    public string NoKedaScaler { get; init; } = "KEDA has no scaler that counts this source's work";

    /// <summary>The capabilities of <typeparamref name="TSource"/>, read off the interfaces it implements.</summary>
    public static SourceCapabilities Of<TSource>(DeliveryGuarantee guarantee, string recovery)
        where TSource : ISourceDriver =>
        new(guarantee,
            Leases: typeof(ILeasedSource).IsAssignableFrom(typeof(TSource)),
            Batches: typeof(IBatchSource).IsAssignableFrom(typeof(TSource)),
            DeadLetters: typeof(IDeadLetterSource).IsAssignableFrom(typeof(TSource)))
        {
            Recovery = recovery,
        };

    /// <summary>The words the docs and <c>--list-drivers</c> use: <c>at-least-once</c>, <c>at-most-once</c>, <c>none</c>.</summary>
    public string GuaranteeName => Guarantee switch
    {
        DeliveryGuarantee.AtLeastOnce => "at-least-once",
        DeliveryGuarantee.AtMostOnce => "at-most-once",
        _ => "none",
    };
}

/// <summary>One usage example of a tool or a driver: what it does, and the command line that does it.</summary>
public sealed record UsageExample(string Description, string CommandLine);
