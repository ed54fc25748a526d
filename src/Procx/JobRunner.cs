using System.Diagnostics;
using System.Globalization;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>What a job ended with: the exit code a one-shot procx returns, and whether the worker must stop.</summary>
internal readonly record struct JobResult(int ExitCode, bool StopWorker = false);

/// <summary>
/// One job, and the job boundary: deliver the payload, run the child (renewing the item's lease meanwhile,
/// stopping it at -timeout), then settle the item — clear it on exit 0, fail it otherwise. Whatever goes
/// wrong inside is classified (<see cref="Failure.Of"/>) and settled by the one policy table
/// (<see cref="FailurePolicy"/>): fail, release, park or stop. Nothing escapes this method, so a daemon
/// goes on with its other items at every concurrency, and nothing is swallowed unlogged.
/// </summary>
internal sealed class JobRunner(
    ISourceDriver source, string driver, JobOptions options, ShutdownSignals signals, IJobMetrics metrics, ILog log,
    bool daemon, Settler settler, HeldItems held, FailureBook failures, WorkerStop stop, InProcessPushx? inProcessPushx = null)
{
    private readonly IFailureTranslator? _translator = source as IFailureTranslator;
    private long _jobCounter;

    public async Task<JobResult> RunAsync(WorkItem item)
    {
        var job = FailureBook.Identity(item) ?? Interlocked.Increment(ref _jobCounter).ToString(CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        metrics.JobStarted();
        JobResult result;
        try
        {
            var attempt = await AttemptAsync(item, job).ConfigureAwait(false);
            signals.WaitIfExiting();
            await item.Payload.DisposeAsync().ConfigureAwait(false); // release streams/handles before the source moves the item
            result = await SettleAsync(item, job, attempt, clock.Elapsed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug in the settling code itself: the item stays where the source keeps it, the daemon goes on.
            log.Error($"internal error settling the work ({e.GetType().Name}): {ErrorText.Describe(e)}; the source offers it again by its own rules", ("job", job));
            result = new JobResult(ExitCodes.Internal);
        }
        if (result.StopWorker)
        {
            stop.Request(result.ExitCode);
        }
        metrics.JobFinished(result.ExitCode == ExitCodes.Success, clock.Elapsed);
        return result;
    }

    /// <summary>Delivers and runs; every exception becomes an <see cref="Attempt"/> naming its phase.</summary>
    private async Task<Attempt> AttemptAsync(WorkItem item, string job)
    {
        var phase = JobPhase.Deliver;
        try
        {
            if (options.Hold)
            {
                phase = JobPhase.Run;
                return await HandOverAsync(item, job).ConfigureAwait(false);
            }
            if (options.Command.Count == 0)
            {
                // No command: the payload goes to stdout, as in the original.
                await StdoutWriter.WriteAsync(null, item.Payload, "procx without a command prints the payload to stdout").ConfigureAwait(false);
                return Attempt.Exited(ExitCodes.Success);
            }
            if (inProcessPushx is not null)
            {
                phase = JobPhase.Run;
                return await PushInProcessAsync(inProcessPushx, item, job).ConfigureAwait(false);
            }
            await using var delivery = await PayloadDelivery.PrepareAsync(options, item.Payload, job, CancellationToken.None).ConfigureAwait(false);
            delivery.JobEnvironment["PROCX_JOB_ID"] = job;
            delivery.JobEnvironment["PROCX_ATTEMPT"] = (failures.Failures(item) + 1).ToString(CultureInfo.InvariantCulture);
            phase = JobPhase.Run;
            return await RunChildAsync(item, job, delivery).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Attempt.Errored(phase, Failure.Of(e, _translator));
        }
    }

    /// <summary>-hold: the caller is the child. A shutdown while it holds the item releases it untouched.</summary>
    private async Task<Attempt> HandOverAsync(WorkItem item, string job)
    {
        using var leaseStop = new CancellationTokenSource();
        var leases = LeaseKeeper.KeepAsync(source, item, job, log, leaseStop.Token);
        try
        {
            return Attempt.Exited(await CallerHandOver.HandOverAsync(item, options.Timeout, job, log, signals.Stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (signals.Stopping.IsCancellationRequested)
        {
            return Attempt.Interrupted(128 + signals.Received);
        }
        finally
        {
            await leaseStop.CancelAsync().ConfigureAwait(false);
            await leases.ConfigureAwait(false);
        }
    }

    /// <summary>The bridge's push run here (<see cref="InProcessPushx"/>): the child's timeout, lease renewal and shutdown rules.</summary>
    private async Task<Attempt> PushInProcessAsync(InProcessPushx pushx, WorkItem item, string job)
    {
        using var leaseStop = new CancellationTokenSource();
        var leases = LeaseKeeper.KeepAsync(source, item, job, log, leaseStop.Token);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(signals.Stopping);
        if (options.Timeout > TimeSpan.Zero)
        {
            cancel.CancelAfter(options.Timeout);
        }
        try
        {
            return Attempt.Exited(await pushx.PushAsync(item.Payload, cancel.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (signals.Stopping.IsCancellationRequested)
        {
            return Attempt.Interrupted(128 + signals.Received);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            log.Warn("job timed out; the push was cancelled", ("job", job), ("timeout_ms", (long)options.Timeout.TotalMilliseconds));
            return Attempt.Exited(ExitCodes.Timeout);
        }
        finally
        {
            await leaseStop.CancelAsync().ConfigureAwait(false);
            await leases.ConfigureAwait(false);
        }
    }

    private async Task<Attempt> RunChildAsync(WorkItem item, string job, PayloadDelivery delivery)
    {
        var child = await ChildProcess.StartAsync(options, delivery).ConfigureAwait(false);
        signals.Track(child);
        log.Debug("child started", ("job", job), ("pid", child.Id), ("start", child.StartedBy));
        using var leaseStop = new CancellationTokenSource();
        var leases = LeaseKeeper.KeepAsync(source, item, job, log, leaseStop.Token);
        try
        {
            var exited = child.WaitAsync(delivery, options.PassAsStdin);
            if (options.Timeout > TimeSpan.Zero && await Task.WhenAny(exited, Task.Delay(options.Timeout)).ConfigureAwait(false) != exited)
            {
                log.Warn("job timed out; stopping the child and its children", ("job", job), ("timeout_ms", (long)options.Timeout.TotalMilliseconds));
                await child.StopAsync(NativeMethods.SIGTERM, options.Grace, wholeTree: true).ConfigureAwait(false);
                await exited.ConfigureAwait(false);
                return Attempt.Exited(ExitCodes.Timeout);
            }
            var code = await exited.ConfigureAwait(false);
            // A child that failed after procx passed on a shutdown signal was interrupted, not wrong: release it.
            return code != ExitCodes.Success && signals.ForwardedTo(child) ? Attempt.Interrupted(code) : Attempt.Exited(code);
        }
        finally
        {
            signals.Untrack(child);
            await leaseStop.CancelAsync().ConfigureAwait(false);
            await leases.ConfigureAwait(false);
        }
    }

    private async Task<JobResult> SettleAsync(WorkItem item, string job, Attempt attempt, TimeSpan elapsed)
    {
        var ms = (long)elapsed.TotalMilliseconds;
        if (attempt.Failure is { } failure)
        {
            var decision = failure.Decide(attempt.Phase);
            log.Error($"job failed: {failure.Message}", ("job", job), ("driver", driver), ("phase", Name(attempt.Phase)), ("kind", Name(failure.Kind)));
            return await ActAsync(item, job, decision).ConfigureAwait(false);
        }
        if (attempt.WasInterrupted)
        {
            log.Info("job interrupted by shutdown; the work is released untouched", ("job", job), ("driver", driver), ("exit_code", attempt.ExitCode));
            return await ReleaseAsync(item, job, new JobResult(attempt.ExitCode)).ConfigureAwait(false);
        }
        if (attempt.ExitCode == ExitCodes.Success)
        {
            var cleared = await settler.RunAsync(JobPhase.Clear, ct => source.ClearAsync(item, ct), job).ConfigureAwait(false);
            if (cleared.Succeeded)
            {
                failures.Forget(item);
                log.Info("job succeeded", ("job", job), ("driver", driver), ("exit_code", 0), ("duration_ms", ms));
                return new JobResult(ExitCodes.Success);
            }
            log.Error($"could not clear the work: {cleared.Failure!.Message}", ("job", job), ("driver", driver), ("kind", Name(cleared.Failure.Kind)));
            return await ActAsync(item, job, cleared.Decision!.Value).ConfigureAwait(false);
        }
        log.Warn("job failed", ("job", job), ("driver", driver), ("exit_code", attempt.ExitCode), ("duration_ms", ms));
        return await FailAsync(item, job, attempt.ExitCode).ConfigureAwait(false);
    }

    /// <summary>Carries out a decision of the policy table for this item.</summary>
    private async Task<JobResult> ActAsync(WorkItem item, string job, FailureDecision decision) => decision.Action switch
    {
        FailureAction.FailItem => await FailAsync(item, job, decision.ExitCode).ConfigureAwait(false),
        FailureAction.ReleaseItem or FailureAction.Retry => await ReleaseAsync(item, job, new JobResult(decision.ExitCode)).ConfigureAwait(false),
        FailureAction.Stop => await ReleaseAsync(item, job, new JobResult(decision.ExitCode, StopWorker: true)).ConfigureAwait(false),
        FailureAction.ParkItem => Park(item, job, decision.ExitCode),
        _ => new JobResult(decision.ExitCode), // LeaveItem: the source offers it again by its own rules
    };

    /// <summary>
    /// A failed attempt: dead-letter it at -max-failures (or set it aside with the fail op, or park it), else
    /// fail it — in a daemon, after a backoff that grows with each failure, held meanwhile, so it neither
    /// spins nor starves the items behind it.
    /// </summary>
    private async Task<JobResult> FailAsync(WorkItem item, string job, int exitCode)
    {
        var count = failures.Record(item);
        if (options.MaxFailures > 0 && count >= options.MaxFailures)
        {
            if (source is IDeadLetterSource deadLetter)
            {
                return await SettleFailureAsync(item, job, exitCode, ct => deadLetter.DeadLetterAsync(item, ct), $"failed {count} times; dead-lettered").ConfigureAwait(false);
            }
            if (source.FailSetsAside)
            {
                return await SettleFailureAsync(item, job, exitCode, ct => source.FailAsync(item, ct), $"failed {count} times; set aside by the fail op").ConfigureAwait(false);
            }
            log.Error($"failed {count} times and {driver} has no dead-letter place: parked, held by this procx and not run again until it exits",
                ("job", job), ("driver", driver));
            return Park(item, job, exitCode);
        }
        if (daemon && !source.FailSetsAside && options.FailureBackoff > TimeSpan.Zero)
        {
            var delay = Backoff.Delay(count, options.FailureBackoff, options.FailureBackoffMax);
            log.Info("holding the failed work before it is tried again", ("job", job), ("failures", count), ("retry_in_ms", (long)delay.TotalMilliseconds));
            held.Defer(item, job, delay);
            return new JobResult(exitCode);
        }
        return await SettleFailureAsync(item, job, exitCode, ct => source.FailAsync(item, ct), null).ConfigureAwait(false);
    }

    private async Task<JobResult> SettleFailureAsync(WorkItem item, string job, int exitCode, Func<CancellationToken, Task> step, string? done)
    {
        var result = await settler.RunAsync(JobPhase.Fail, step, job).ConfigureAwait(false);
        if (result.Succeeded)
        {
            if (done is not null)
            {
                failures.Forget(item);
                log.Error(done, ("job", job), ("driver", driver));
            }
            return new JobResult(exitCode);
        }
        log.Error($"could not fail the work: {result.Failure!.Message}", ("job", job), ("driver", driver), ("kind", Name(result.Failure.Kind)));
        var decision = result.Decision!.Value;
        return decision.Action switch
        {
            FailureAction.ParkItem => Park(item, job, exitCode),
            FailureAction.Stop => new JobResult(decision.ExitCode, StopWorker: true),
            // The child's own failure stays the exit code: the work will be seen again either way.
            _ => new JobResult(exitCode),
        };
    }

    private async Task<JobResult> ReleaseAsync(WorkItem item, string job, JobResult result)
    {
        var released = await settler.RunAsync(JobPhase.Fail, ct => source.ReleaseAsync(item, ct), job).ConfigureAwait(false);
        if (!released.Succeeded)
        {
            log.Warn($"could not release the work: {released.Failure!.Message}; the source offers it again by its own rules", ("job", job));
        }
        return result;
    }

    private JobResult Park(WorkItem item, string job, int exitCode)
    {
        if (!daemon)
        {
            return new JobResult(exitCode); // one-shot: procx exits now, the source keeps the item
        }
        held.Park(item, job);
        return new JobResult(exitCode);
    }

    private static string Name(JobPhase phase) => phase.ToString().ToLowerInvariant();

    private static string Name(FailureKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>How delivering and running ended: an exit code (maybe interrupted by shutdown), or a failure in a phase.</summary>
    private readonly record struct Attempt(int ExitCode, bool WasInterrupted, JobPhase Phase, Failure? Failure)
    {
        public static Attempt Exited(int code) => new(code, false, JobPhase.Run, null);

        public static Attempt Interrupted(int code) => new(code, true, JobPhase.Run, null);

        public static Attempt Errored(JobPhase phase, Failure failure) => new(failure.Decide(phase).ExitCode, false, phase, failure);
    }
}
