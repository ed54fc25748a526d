using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Procx;

/// <summary>
/// The loop: fetch, run, settle. One-shot exits with the job's code (0 when there was no work);
/// -daemon goes on after failed jobs and waits -daemon-interval after an empty poll.
/// </summary>
internal sealed class Worker(ParsedCommandLine commandLine, ILog log)
{
    private readonly FetchRetry _fetchRetry = new(log);

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var values = commandLine.Values;
        var daemon = values.GetBool(ProcxTool.Daemon);
        var interval = TimeSpan.FromMilliseconds(Math.Max(0, values.GetInt(ProcxTool.DaemonInterval)));
        var options = JobOptions.From(values, commandLine.Command);
        var descriptor = ProcxTool.Registry.FindSource(commandLine.Driver!.Name)!;

        using var signals = new ShutdownSignals();
        await using var source = descriptor.Create(new DriverContext(values, log));
        var jobs = new JobRunner(source, options, signals, log);
        var lastExit = ExitCodes.Success;
        while (!signals.Stopping.IsCancellationRequested)
        {
            var item = daemon
                ? await _fetchRetry.FetchAsync(source, interval, signals.Stopping).ConfigureAwait(false)
                : await FetchAsync(source, TimeSpan.Zero, signals.Stopping).ConfigureAwait(false);
            if (item is null)
            {
                if (!daemon || signals.Stopping.IsCancellationRequested)
                {
                    log.Info(signals.Stopping.IsCancellationRequested ? "stopped" : "no work", ("driver", descriptor.Name));
                    return lastExit;
                }
                await Sleep(interval, signals.Stopping).ConfigureAwait(false);
                continue;
            }
            await using (item)
            {
                lastExit = await jobs.RunAsync(item).ConfigureAwait(false);
            }
            if (!daemon)
            {
                return lastExit;
            }
        }
        log.Info("stopped on signal", ("signal", signals.Received));
        return daemon ? ExitCodes.Success : lastExit;
    }

    internal static async Task<WorkItem?> FetchAsync(ISourceDriver source, TimeSpan wait, CancellationToken stopping)
    {
        try
        {
            return await source.FetchAsync(wait, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return null;
        }
    }

    internal static async Task Sleep(TimeSpan interval, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(interval, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
