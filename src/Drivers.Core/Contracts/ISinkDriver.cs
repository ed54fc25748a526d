namespace Drivers.Core.Contracts;

/// <summary>Where pushx sends its input. One call per push; the host owns retries and output teeing.</summary>
/// <remarks>
/// A sink must send the payload's bytes unchanged unless its settings say to transform them (templates).
/// It streams where the provider allows rather than reading the payload whole.
/// </remarks>
public interface ISinkDriver : IAsyncDisposable
{
    Task PushAsync(Payload payload, CancellationToken cancellationToken);
}
