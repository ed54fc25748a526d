using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Polly;
using Polly.Retry;

namespace Procx;

/// <summary>
/// In -daemon mode a source that cannot be reached is retried forever with exponential backoff and jitter
/// (Polly), never a crash loop; the outage and the recovery are each logged once, however many slots
/// fetch. Configuration errors are not retried.
/// </summary>
internal sealed class FetchRetry
{
    private readonly ResiliencePipeline _pipeline;
    private readonly ILog _log;
    private readonly IJobMetrics _metrics;
    private int _failing;

    public FetchRetry(ILog log, IJobMetrics metrics)
    {
        _log = log;
        _metrics = metrics;
        _pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(30),
            OnRetry = args =>
            {
                _metrics.FetchError();
                if (Interlocked.Exchange(ref _failing, 1) == 0)
                {
                    _log.Warn($"cannot fetch from the source, retrying with backoff: {args.Outcome.Exception?.Message}");
                    _metrics.Healthy = false;
                }
                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    public Task<WorkItem?> FetchAsync(ISourceDriver source, TimeSpan wait, CancellationToken stopping) =>
        RetryAsync(ct => source.FetchAsync(wait, ct), null, stopping);

    public Task<IReadOnlyList<WorkItem>> FetchBatchAsync(IBatchSource source, int max, TimeSpan wait, CancellationToken stopping) =>
        RetryAsync(ct => source.FetchBatchAsync(max, wait, ct), [], stopping);

    /// <summary>Runs a fetch under the retry policy; <paramref name="whenStopped"/> when procx is stopping.</summary>
    private async Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> fetch, T whenStopped, CancellationToken stopping)
    {
        try
        {
            var item = await _pipeline.ExecuteAsync(async ct => await fetch(ct).ConfigureAwait(false), stopping).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
            {
                _log.Info("source reachable again");
                _metrics.Healthy = true;
            }
            return item;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return whenStopped;
        }
    }

    /// <summary>Worth retrying: anything but cancellation and the user-fixable errors (usage, config, data).</summary>
    internal static bool IsTransient(Exception e) =>
        e is not OperationCanceledException and not OutOfMemoryException
        && e is not CliException { ExitCode: ExitCodes.Usage or ExitCodes.Config or ExitCodes.DataError };
}
