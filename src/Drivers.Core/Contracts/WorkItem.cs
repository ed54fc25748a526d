using Drivers.Core.Templating;

namespace Drivers.Core.Contracts;

/// <summary>
/// One unit of work fetched from a source. It carries everything clear/fail need, so that a driver never
/// keeps per-job state in shared fields (the Go original rewrote its templates in place, so in daemon mode
/// job 2 cleared job 1's row).
/// </summary>
public sealed class WorkItem : IAsyncDisposable
{
    public WorkItem(Payload payload) => Payload = payload;

    /// <summary>The work's bytes.</summary>
    public Payload Payload { get; }

    /// <summary>The provider's name for the item (file or object key, list name, row key), if any.</summary>
    public string? Key { get; init; }

    /// <summary>The provider's id of the item (message id, stream entry id), if any.</summary>
    public string? Id { get; init; }

    /// <summary>The handle that acknowledges the item (SQS receipt, Pub/Sub ack id), if any.</summary>
    public string? Receipt { get; init; }

    /// <summary>How many times the provider has delivered this item, where it counts (SQS, Pub/Sub, streams).</summary>
    public int? DeliveryCount { get; init; }

    /// <summary>Values clear/fail templates render from (<c>{{key}}</c>, <c>{{0.id}}</c>).</summary>
    public TemplateData? TemplateData { get; init; }

    /// <summary>Anything else the driver needs to clear or fail this item (a transaction, a claimed row).</summary>
    public object? DriverState { get; init; }

    public ValueTask DisposeAsync() => Payload.DisposeAsync();
}
