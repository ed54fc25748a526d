namespace Drivers.Core.Contracts;

/// <summary>
/// Where procx takes work from. The host owns policy (daemon loop, concurrency, timeouts, retries,
/// shutdown); a source only fetches, clears and fails.
/// </summary>
/// <remarks>
/// Guarantees a driver must give:
/// <list type="bullet">
/// <item>An item returned by <see cref="FetchAsync"/> is not handed to another fetch (of this or another
/// procx) until it is failed, or its lease runs out where the provider has leases.</item>
/// <item><see cref="ClearAsync"/> removes the item for good; the host calls it only after the child succeeded.</item>
/// <item><see cref="FailAsync"/> leaves the item recoverable (requeued, nacked, moved to a fail location).
/// An item neither cleared nor failed (procx killed) must also stay recoverable.</item>
/// <item><see cref="ReleaseAsync"/> returns the item untouched: no fail op, no failure counted where the
/// driver counts them.</item>
/// <item>A failure is reported as a <see cref="DriverException"/> of the right <see cref="FailureKind"/>
/// (or translated by <see cref="IFailureTranslator"/>); the host decides retry, fail, release or stop.</item>
/// <item>Members may be called concurrently for different items (the host's <c>-concurrency</c>).</item>
/// </list>
/// </remarks>
public interface ISourceDriver : IAsyncDisposable
{
    /// <summary>
    /// Fetches one item, or returns null when there is no work. <paramref name="wait"/> is how long the
    /// driver may block waiting for work where the provider supports it (long polling, blocking pops);
    /// <see cref="TimeSpan.Zero"/> asks for an immediate answer.
    /// </summary>
    Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Removes the work for good. Called after the child exited 0.</summary>
    Task ClearAsync(WorkItem item, CancellationToken cancellationToken);

    /// <summary>Returns the work for another attempt or moves it aside. Called when the child failed.</summary>
    Task FailAsync(WorkItem item, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the work untouched, as if it had never been fetched: it was not attempted to the end (procx is
    /// shutting down, or could not deliver the payload for a reason of its own). Not a failure: no fail op
    /// runs and no failure is counted.
    /// </summary>
    Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken);

    /// <summary>
    /// True when <see cref="FailAsync"/> moves the item out of the source's way (a fail folder, a dead-letter
    /// list), so the next fetch does not see it again. When false the host holds a failed item for a backoff
    /// delay before failing it, so one bad item neither spins nor blocks the others.
    /// </summary>
    bool FailSetsAside => false;
}

/// <summary>
/// A source whose items carry a lease (visibility timeout, ack deadline, pending claim). The host renews
/// the lease every <see cref="LeaseRenewalInterval"/> while the child runs.
/// </summary>
public interface ILeasedSource
{
    TimeSpan LeaseRenewalInterval { get; }

    Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken);
}

/// <summary>
/// A source with a dead-letter place (a fail list, a DLQ topic). After <c>-max-failures</c> failed attempts
/// the host calls <see cref="DeadLetterAsync"/> instead of <see cref="ISourceDriver.FailAsync"/>; the item
/// must stay recoverable there.
/// </summary>
public interface IDeadLetterSource
{
    Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken);
}

/// <summary>
/// A source that can hand out several items in one request (SQS batch receive, Pub/Sub pull with max
/// messages). With <c>-concurrency</c> above 1 the host asks for as many items as it has free slots, never
/// more, so it never holds work it cannot start.
/// </summary>
public interface IBatchSource
{
    /// <summary>Up to <paramref name="max"/> items; empty when there is no work. <paramref name="wait"/> as in <see cref="ISourceDriver.FetchAsync"/>.</summary>
    Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken);
}
