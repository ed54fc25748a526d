using System.Collections.Concurrent;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>
/// Failed items this procx keeps hold of instead of handing back at once, so that one bad item neither
/// spins (fetched and failed again in a loop) nor blocks the others: while held it stays claimed (a
/// redis-list processing list, an open SQL transaction, an in-flight key, a renewed lease), so fetches pass
/// it by. A <em>deferred</em> item is failed (handed back) when its backoff ends; a <em>parked</em> one (it
/// reached -max-failures with no dead-letter place) only when procx exits. Nothing is lost: a killed procx
/// leaves held items to the source's own recovery, like any running job.
/// </summary>
internal sealed class HeldItems(ISourceDriver source, Settler settler, WorkerStop stop, ILog log) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<WorkItem, Held> _held = new();

    public int Count => _held.Count;

    /// <summary>True while an item of this identity is held (a source without claims may offer it again).</summary>
    public bool Holds(string? identity) =>
        identity is not null && _held.Keys.Any(item => FailureBook.Identity(item) == identity);

    /// <summary>
    /// A source without claims (a SQL query outside a job transaction) may hand out again an item this procx
    /// holds for its backoff: such a copy is handed straight back instead of run early. True when it was.
    /// </summary>
    public async Task<bool> ReturnIfHeldAsync(WorkItem item)
    {
        if (_held.IsEmpty || !Holds(FailureBook.Identity(item)))
        {
            return false;
        }
        try
        {
            await source.ReleaseAsync(item, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Warn($"could not release a copy of a held item: {ErrorText.Describe(e)}");
        }
        await item.DisposeAsync().ConfigureAwait(false);
        return true;
    }

    public void Defer(WorkItem item, string job, TimeSpan delay) => Hold(item, job, delay);

    public void Park(WorkItem item, string job) => Hold(item, job, Timeout.InfiniteTimeSpan);

    /// <summary>Hands every held item back now (procx is exiting).</summary>
    public async Task ReturnAllAsync()
    {
        var all = _held.ToArray();
        if (all.Length > 0)
        {
            log.Info("returning held items to the source", ("count", all.Length));
        }
        foreach (var (_, held) in all)
        {
            await held.Release.CancelAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(all.Select(h => h.Value.Done)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync() => await ReturnAllAsync().ConfigureAwait(false);

    private void Hold(WorkItem item, string job, TimeSpan delay)
    {
        var release = new CancellationTokenSource();
        var held = new Held(release);
        _held[item] = held;
        held.Done = Task.Run(() => HoldAsync(item, job, delay, release));
    }

    private async Task HoldAsync(WorkItem item, string job, TimeSpan delay, CancellationTokenSource release)
    {
        // The token source is not disposed: ReturnAllAsync may cancel it at any moment, and it holds no timer.
        var leases = LeaseKeeper.KeepAsync(source, item, job, log, release.Token);
        await Backoff.SleepAsync(delay, release.Token).ConfigureAwait(false);
        await release.CancelAsync().ConfigureAwait(false);
        await leases.ConfigureAwait(false);
        _held.TryRemove(item, out _);
        var result = await settler.RunAsync(JobPhase.Fail, ct => source.FailAsync(item, ct), job).ConfigureAwait(false);
        if (result.Succeeded)
        {
            log.Debug("held item handed back to the source", ("job", job));
            return;
        }
        log.Error($"could not hand a failed item back: {result.Failure!.Message}; the source offers it again by its own rules", ("job", job));
        if (result.Decision!.Value.Action == FailureAction.Stop)
        {
            stop.Request(result.Decision.Value.ExitCode);
        }
    }

    private sealed class Held(CancellationTokenSource release)
    {
        public CancellationTokenSource Release { get; } = release;

        public Task Done { get; set; } = Task.CompletedTask;
    }
}
