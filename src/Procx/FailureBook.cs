using System.Collections.Concurrent;
using Drivers.Core.Contracts;

namespace Procx;

/// <summary>
/// How many times each item failed in this process, by the provider's id or key: the count behind
/// -max-failures and the per-item backoff where the provider does not count deliveries itself.
/// </summary>
internal sealed class FailureBook
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);

    public static string? Identity(WorkItem item) => item.Id ?? item.Key;

    /// <summary>Failures so far (before this attempt).</summary>
    public int Failures(WorkItem item) =>
        item.DeliveryCount is { } delivered ? Math.Max(0, delivered - 1)
        : Identity(item) is { } id ? _failures.GetValueOrDefault(id) : 0;

    /// <summary>Records a failure; returns the failures including this one.</summary>
    public int Record(WorkItem item)
    {
        var counted = Identity(item) is { } id ? _failures.AddOrUpdate(id, 1, (_, n) => n + 1) : 1;
        return item.DeliveryCount is { } delivered ? Math.Max(delivered, 1) : counted;
    }

    public void Forget(WorkItem item)
    {
        if (Identity(item) is { } id)
        {
            _failures.TryRemove(id, out _);
        }
    }
}
