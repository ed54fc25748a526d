using System.Collections.Concurrent;
using System.Diagnostics;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Polly;
using Polly.Retry;

namespace Procx;

/// <summary>
/// One job: deliver the payload, run the child (renewing the item's lease meanwhile, stopping it at
/// -timeout), then clear the work on exit 0 or fail it otherwise. Work is cleared only after the child
/// succeeded; every other path fails it, dead-letters it after -max-failures, or leaves it in the source.
/// </summary>
internal sealed class JobRunner(ISourceDriver source, string driver, JobOptions options, ShutdownSignals signals, IJobMetrics metrics, ILog log, bool daemon)
{
    private ResiliencePipeline? _settleRetry;

    private readonly ConcurrentDictionary<string, int> _failuresSeen = new(StringComparer.Ordinal);
    private long _jobCounter;

    /// <summary>Returns the exit code a one-shot procx ends with for this job.</summary>
    public async Task<int> RunAsync(WorkItem item)
    {
        var job = item.Id ?? item.Key ?? Interlocked.Increment(ref _jobCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        metrics.JobStarted();
        int exitCode;
        try
        {
            exitCode = options.Command.Count == 0 ? await PrintPayloadAsync(item).ConfigureAwait(false) : await RunChildAsync(item, job).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            log.Error($"job failed: {e.Message}", ("job", job), ("driver", driver));
            exitCode = e.ExitCode;
        }
        catch (HostFailureException e)
        {
            log.Error($"job failed: {e.Message}", ("job", job), ("driver", driver));
            exitCode = Failure.Of(e).Decide(JobPhase.Deliver).ExitCode;
        }
        await item.Payload.DisposeAsync().ConfigureAwait(false); // release streams/handles before the source moves the item
        var result = await SettleAsync(item, job, exitCode, clock.Elapsed).ConfigureAwait(false);
        metrics.JobFinished(result == ExitCodes.Success, clock.Elapsed);
        return result;
    }

    private async Task<int> RunChildAsync(WorkItem item, string job)
    {
        await using var delivery = await PayloadDelivery.PrepareAsync(options, item.Payload, job, CancellationToken.None).ConfigureAwait(false);
        var child = ChildProcess.Start(options, delivery);
        signals.Track(child);
        log.Debug("child started", ("job", job), ("pid", child.Id));
        using var leaseStop = new CancellationTokenSource();
        var leases = RenewLeasesAsync(item, job, leaseStop.Token);
        try
        {
            var exited = child.WaitAsync(delivery, options.PassAsStdin);
            if (options.Timeout > TimeSpan.Zero && await Task.WhenAny(exited, Task.Delay(options.Timeout)).ConfigureAwait(false) != exited)
            {
                log.Warn("job timed out; stopping the child and its children", ("job", job), ("timeout_ms", (long)options.Timeout.TotalMilliseconds));
                await child.StopAsync(NativeMethods.SIGTERM, options.Grace, wholeTree: true).ConfigureAwait(false);
                await exited.ConfigureAwait(false);
                return ExitCodes.Timeout;
            }
            return await exited.ConfigureAwait(false);
        }
        finally
        {
            signals.Untrack(child);
            await leaseStop.CancelAsync().ConfigureAwait(false);
            await leases.ConfigureAwait(false);
        }
    }

    /// <summary>Keeps a visibility timeout / ack deadline from running out while the child works.</summary>
    private async Task RenewLeasesAsync(WorkItem item, string job, CancellationToken stop)
    {
        if (source is not ILeasedSource leased || leased.LeaseRenewalInterval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(leased.LeaseRenewalInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await leased.RenewLeaseAsync(item, stop).ConfigureAwait(false);
                    log.Debug("lease renewed", ("job", job));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Warn($"could not renew the lease: {e.Message}", ("job", job));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>No command: the payload goes to stdout, as in the original.</summary>
    private static async Task<int> PrintPayloadAsync(WorkItem item)
    {
        await using var stdout = Console.OpenStandardOutput();
        await using var payload = item.Payload.OpenRead();
        await payload.CopyToAsync(stdout).ConfigureAwait(false);
        await stdout.FlushAsync().ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private async Task<int> SettleAsync(WorkItem item, string job, int exitCode, TimeSpan elapsed)
    {
        var ms = (long)elapsed.TotalMilliseconds;
        try
        {
            if (exitCode == ExitCodes.Success)
            {
                await SettleWithRetryAsync(ct => source.ClearAsync(item, ct)).ConfigureAwait(false);
                ForgetFailures(item);
                log.Info("job succeeded", ("job", job), ("driver", driver), ("exit_code", exitCode), ("duration_ms", ms));
            }
            else if (ShouldDeadLetter(item) is { } deadLetter)
            {
                await SettleWithRetryAsync(ct => deadLetter.DeadLetterAsync(item, ct)).ConfigureAwait(false);
                ForgetFailures(item);
                log.Error($"job failed {options.MaxFailures} times; dead-lettered", ("job", job), ("driver", driver), ("exit_code", exitCode), ("duration_ms", ms));
            }
            else
            {
                await SettleWithRetryAsync(ct => source.FailAsync(item, ct)).ConfigureAwait(false);
                log.Warn("job failed", ("job", job), ("driver", driver), ("exit_code", exitCode), ("duration_ms", ms));
            }
            return exitCode;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var what = exitCode == ExitCodes.Success ? "clear" : "fail";
            log.Error($"could not {what} the work; the source will offer it again: {e.Message}", ("job", job), ("driver", driver));
            return exitCode == ExitCodes.Success ? ExitCodes.TempFail : exitCode;
        }
    }

    /// <summary>
    /// Clearing or failing is retried: a daemon keeps trying until the source answers (an item whose
    /// outcome was never recorded would otherwise sit in limbo while this worker lives); one-shot gives
    /// up after five tries and exits 75, leaving the item to the source's own recovery. The first try runs
    /// without Polly: building a retry pipeline validates its options by reflection, 40% of a one-shot
    /// job's start-up, which only a failed settle should pay.
    /// </summary>
    private async Task SettleWithRetryAsync(Func<CancellationToken, Task> settle)
    {
        try
        {
            await settle(CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (FetchRetry.IsTransient(e))
        {
            log.Warn($"could not settle the work, retrying: {e.Message}");
        }
        var retry = LazyInitializer.EnsureInitialized(ref _settleRetry, () => new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(FetchRetry.IsTransient),
            MaxRetryAttempts = daemon ? int.MaxValue : 3,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(10),
        }).Build());
        await retry.ExecuteAsync(async ct => await settle(ct).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>The dead-letter place, when this failure reaches -max-failures and the driver has one.</summary>
    private IDeadLetterSource? ShouldDeadLetter(WorkItem item)
    {
        if (options.MaxFailures <= 0 || source is not IDeadLetterSource deadLetter)
        {
            return null;
        }
        var attempts = item.DeliveryCount ?? (FailureKey(item) is { } key ? _failuresSeen.AddOrUpdate(key, 1, (_, n) => n + 1) : 1);
        return attempts >= options.MaxFailures ? deadLetter : null;
    }

    private void ForgetFailures(WorkItem item)
    {
        if (FailureKey(item) is { } key)
        {
            _failuresSeen.TryRemove(key, out _);
        }
    }

    private static string? FailureKey(WorkItem item) => item.Id ?? item.Key;
}
