using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Procx;

/// <summary>
/// The loop. One-shot: fetch, run, settle, exit with the job's code (0 when there was no work).
/// -daemon / -exit-when-empty: -concurrency slots, each fetching its own item only when it is free (so
/// procx never holds more items than free slots), running it, settling it; a failed job does not stop them.
/// </summary>
internal sealed class Worker(ParsedCommandLine commandLine, ILog log)
{
    private int _running;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var values = commandLine.Values;
        var exitWhenEmpty = values.GetBool(ProcxTool.ExitWhenEmpty);
        var daemon = values.GetBool(ProcxTool.Daemon) || exitWhenEmpty;
        var interval = TimeSpan.FromMilliseconds(Math.Max(0, values.GetInt(ProcxTool.DaemonInterval)));
        var slots = Math.Max(1, values.GetInt(ProcxTool.Concurrency));
        var options = JobOptions.From(values, commandLine.Command);
        var descriptor = ProcxTool.Registry.FindSource(commandLine.Driver!.Name)!;

        using var signals = new ShutdownSignals(values.GetDuration(ProcxTool.ShutdownTimeout), options.Grace);
        using IJobMetrics metrics = values.GetString(ProcxTool.MetricsAddr) is { Length: > 0 } address
            ? new PrometheusJobMetrics(address, descriptor.Name, log)
            : new NoMetrics();
        await using var source = descriptor.Create(new DriverContext(values, log));
        var jobs = new JobRunner(source, descriptor.Name, options, signals, metrics, log, daemon);

        if (!daemon)
        {
            return await RunOnceAsync(source, jobs, descriptor.Name).ConfigureAwait(false);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(signals.Stopping);
        var retry = new FetchRetry(log, metrics);
        log.Info("worker started", ("driver", descriptor.Name), ("concurrency", slots));
        if (source is IBatchSource batch && slots > 1)
        {
            await new BatchDispatcher(batch, jobs, retry, slots, interval, exitWhenEmpty).RunAsync(stop).ConfigureAwait(false);
        }
        else
        {
            var loops = Enumerable.Range(0, slots).Select(_ => Task.Run(() => SlotAsync(source, jobs, retry, interval, exitWhenEmpty, stop)));
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        log.Info(signals.Received != 0 ? "stopped on signal; every running job was settled" : "source empty; exiting", ("driver", descriptor.Name));
        return ExitCodes.Success;
    }

    private async Task<int> RunOnceAsync(ISourceDriver source, JobRunner jobs, string driver)
    {
        var item = await source.FetchAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        if (item is null)
        {
            log.Info("no work", ("driver", driver));
            return ExitCodes.Success;
        }
        await using (item)
        {
            return await jobs.RunAsync(item).ConfigureAwait(false);
        }
    }

    private async Task SlotAsync(ISourceDriver source, JobRunner jobs, FetchRetry retry, TimeSpan interval, bool exitWhenEmpty, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            var item = await retry.FetchAsync(source, interval, stop.Token).ConfigureAwait(false);
            if (item is null)
            {
                // -exit-when-empty: this slot is done once it finds nothing while no job runs anywhere. A job
                // still running may fail and hand its item back; its own slot then fetches it again.
                if (exitWhenEmpty && Volatile.Read(ref _running) == 0)
                {
                    return;
                }
                // A blocking source already waited; only make up the rest of the interval.
                await Sleep(interval - (DateTime.UtcNow - started), stop.Token).ConfigureAwait(false);
                continue;
            }
            Interlocked.Increment(ref _running);
            try
            {
                await using (item)
                {
                    await jobs.RunAsync(item).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }
    }

    internal static async Task Sleep(TimeSpan delay, CancellationToken stopping)
    {
        if (delay <= TimeSpan.Zero)
        {
            return;
        }
        try
        {
            await Task.Delay(delay, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
