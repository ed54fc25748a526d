using System.Diagnostics;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>
/// One job: deliver the payload, run the child, then clear the work on exit 0 or fail it otherwise.
/// Work is cleared only after the child succeeded; every other path fails it (or leaves it in the source).
/// </summary>
internal sealed class JobRunner(ISourceDriver source, JobOptions options, ShutdownSignals signals, ILog log)
{
    private long _jobCounter;

    /// <summary>Returns the exit code a one-shot procx ends with for this job.</summary>
    public async Task<int> RunAsync(WorkItem item)
    {
        var job = item.Id ?? item.Key ?? Interlocked.Increment(ref _jobCounter).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        int exitCode;
        try
        {
            exitCode = options.Command.Count == 0 ? await PrintPayloadAsync(item).ConfigureAwait(false) : await RunChildAsync(item, job).ConfigureAwait(false);
        }
        catch (CliException e)
        {
            log.Error($"job failed: {e.Message}", ("job", job));
            exitCode = e.ExitCode;
        }
        await item.Payload.DisposeAsync().ConfigureAwait(false); // release streams/handles before the source moves the item
        return await SettleAsync(item, job, exitCode, clock.Elapsed).ConfigureAwait(false);
    }

    private async Task<int> RunChildAsync(WorkItem item, string job)
    {
        await using var delivery = await PayloadDelivery.PrepareAsync(options, item.Payload, CancellationToken.None).ConfigureAwait(false);
        var child = ChildProcess.Start(options, delivery);
        signals.Track(child);
        log.Debug("child started", ("job", job), ("pid", child.Id));
        try
        {
            return await child.WaitAsync(delivery, options.PassAsStdin).ConfigureAwait(false);
        }
        finally
        {
            signals.Untrack(child);
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
                await source.ClearAsync(item, CancellationToken.None).ConfigureAwait(false);
                log.Info("job succeeded", ("job", job), ("exit_code", exitCode), ("duration_ms", ms));
            }
            else
            {
                await source.FailAsync(item, CancellationToken.None).ConfigureAwait(false);
                log.Warn("job failed", ("job", job), ("exit_code", exitCode), ("duration_ms", ms));
            }
            return exitCode;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var what = exitCode == ExitCodes.Success ? "clear" : "fail";
            log.Error($"could not {what} the work; the source will offer it again: {e.Message}", ("job", job));
            return exitCode == ExitCodes.Success ? ExitCodes.TempFail : exitCode;
        }
    }
}
