using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>
/// Fetching under the failure policy: what the table says to retry (an unreachable source) is retried with
/// exponential backoff and jitter — for ever in -daemon mode, a few times in one-shot mode — and the outage and
/// the recovery are each logged once, however many slots fetch. What it says to stop on (a wrong setting, a
/// bug) stops the worker with its exit code.
/// </summary>
internal sealed class FetchRetry(ILog log, IJobMetrics metrics, IFailureTranslator? translator, WorkerStop stop, bool daemon)
{
    private const int OneShotAttempts = 4;
    private int _failing;

    public Task<WorkItem?> FetchAsync(ISourceDriver source, TimeSpan wait, CancellationToken stopping) =>
        RetryAsync(ct => source.FetchAsync(wait, ct), null, stopping);

    public Task<IReadOnlyList<WorkItem>> FetchBatchAsync(IBatchSource source, int max, TimeSpan wait, CancellationToken stopping) =>
        RetryAsync(ct => source.FetchBatchAsync(max, wait, ct), [], stopping);

    /// <summary>Runs a fetch under the policy; <paramref name="none"/> when procx is stopping or must stop.</summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> fetch, T none, CancellationToken stopping)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var result = await fetch(stopping).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _failing, 0) == 1)
                {
                    log.Info("source reachable again");
                    metrics.Ready = true;
                }
                return result;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return none;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                metrics.FetchError();
                var failure = Failure.Of(e, translator);
                var decision = failure.Decide(JobPhase.Fetch);
                if (decision.Action != FailureAction.Retry || (!daemon && attempt >= OneShotAttempts))
                {
                    log.Error($"cannot fetch from the source: {failure.Message}", ("kind", failure.Kind.ToString().ToLowerInvariant()));
                    stop.Request(decision.ExitCode);
                    return none;
                }
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                {
                    log.Warn($"cannot fetch from the source, retrying with backoff: {failure.Message}");
                    metrics.Ready = false;
                }
                await Backoff.SleepAsync(Backoff.Delay(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)), stopping).ConfigureAwait(false);
            }
        }
    }
}
