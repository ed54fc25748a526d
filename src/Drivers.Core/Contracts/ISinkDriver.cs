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

/// <summary>
/// A sink with a call that sends many messages at once (Redis variadic RPUSH, SQS SendMessageBatch). pushx
/// -lines with -batch-size groups lines into it; a sink without it is driven one line at a time.
/// </summary>
public interface IBatchSink
{
    /// <summary>The most messages one call takes; pushx never hands a larger batch.</summary>
    int MaxBatchCount { get; }

    /// <summary>The most bytes (the messages together) one call takes; pushx never hands a larger batch.</summary>
    long MaxBatchBytes { get; }

    /// <summary>
    /// Sends the messages in one call. Returns the messages the provider refused, by index, with why; an empty
    /// list when every message was accepted. Throws (as <see cref="ISinkDriver.PushAsync"/> does) when the call
    /// as a whole failed and none of the messages is known to have been accepted.
    /// </summary>
    Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken);
}

/// <summary>One message of a batch the provider refused: its index in the batch and the reason.</summary>
public sealed record BatchRejection(int Index, DriverException Error);
