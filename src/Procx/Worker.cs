using Drivers.Core;
using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Procx;

/// <summary>
/// The loop. One-shot: fetch, run, settle, exit with the job's code (0 when there was no work).
/// -daemon / -exit-when-empty: -concurrency slots, each fetching its own item only when it is free (so
/// procx never holds more running items than slots), running it, settling it; a failed job does not stop
/// them, a failure the policy says to stop on does. Failed items held for their backoff (or parked) are
/// handed back when procx exits.
/// </summary>
internal sealed class Worker(ParsedCommandLine commandLine, ILog log)
{
    private int _running;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var values = commandLine.Values;
        var exitWhenEmpty = values.GetBool(ProcxTool.ExitWhenEmpty);
        var daemon = values.GetBool(ProcxTool.Daemon) || exitWhenEmpty;
        var interval = TimeSpan.FromMilliseconds(values.GetInt(ProcxTool.DaemonInterval));
        var slots = Math.Max(1, values.GetInt(ProcxTool.Concurrency));
        var options = JobOptions.From(values, commandLine.Command);
        var descriptor = ProcxTool.Registry.FindSource(commandLine.Driver!.Name)!;
        if (values.IsSet(Kubernetes.K8sSettings.Manifest))
        {
            var manifest = Kubernetes.K8sManifest.Generate(values, descriptor, commandLine.Command, log);
            await StdoutWriter.WriteAsync(manifest, null, "-k8s-manifest prints the manifests to stdout").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        if (options.Hold && (daemon || options.Command.Count > 0))
        {
            throw new Drivers.Core.Failures.HostFailureException(FailureKind.Configuration,
                "-hold hands one unit of work to the caller: it takes no command and no -daemon or -exit-when-empty (PROCX_HOLD)", ExitCodes.Usage);
        }

        using var signals = new ShutdownSignals(values.GetDuration(ProcxTool.ShutdownTimeout), options.Grace);
        using IJobMetrics metrics = values.GetString(ProcxTool.MetricsAddr) is { Length: > 0 } address
            ? new PrometheusJobMetrics(address, descriptor.Name, log)
            : new NoMetrics();
        await using var source = descriptor.Create(new DriverContext(values, log));
        if (options.MaxFailures > 0)
        {
            log.Info(MaxFailuresPlan(source, descriptor.Name, options.MaxFailures));
        }
        // Said once, so an operator (and a test) can tell a shutdown in progress from a hang.
        using var announce = signals.Stopping.Register(() => log.Info("shutdown signal received; no new work is taken", ("signal", signals.Received)));
        using var stop = new WorkerStop();
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(signals.Stopping, stop.Token);
        var translator = source as IFailureTranslator;
        var settler = new Settler(translator, log, daemon, signals.Stopping);
        await using var held = new HeldItems(source, settler, stop, log);
        var failures = new FailureBook();
        await using var inProcessPushx = InProcessPushx.TryCreate(values, options, log);
        var jobs = new JobRunner(source, descriptor.Name, options, signals, metrics, log, daemon, settler, held, failures, stop, inProcessPushx);
        var fetch = new FetchRetry(log, metrics, translator, stop, daemon);

        if (!daemon)
        {
            return await RunOnceAsync(source, jobs, fetch, stop, descriptor.Name, options, stopping.Token).ConfigureAwait(false);
        }

        log.Info("worker started", ("driver", descriptor.Name), ("concurrency", slots));
        if (source is IBatchSource batch && slots > 1)
        {
            await new BatchDispatcher(batch, jobs, fetch, held, slots, interval, exitWhenEmpty).RunAsync(stopping).ConfigureAwait(false);
        }
        else
        {
            var loops = Enumerable.Range(0, slots).Select(_ => Task.Run(() => SlotAsync(source, jobs, fetch, held, interval, exitWhenEmpty, stopping)));
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        await held.ReturnAllAsync().ConfigureAwait(false);
        if (stop.IsRequested)
        {
            log.Error("worker stopped: a failure no retry can mend (see above); every running job was settled", ("driver", descriptor.Name), ("exit_code", stop.ExitCode));
            return stop.ExitCode;
        }
        log.Info(signals.Received != 0 ? "stopped on signal; every running job was settled" : "source empty; exiting", ("driver", descriptor.Name));
        return ExitCodes.Success;
    }

    private async Task<int> RunOnceAsync(ISourceDriver source, JobRunner jobs, FetchRetry fetch, WorkerStop stop, string driver, JobOptions options, CancellationToken stopping)
    {
        var item = await fetch.FetchAsync(source, TimeSpan.Zero, stopping).ConfigureAwait(false);
        if (item is null)
        {
            if (stop.IsRequested)
            {
                return stop.ExitCode;
            }
            log.Info("no work", ("driver", driver));
            if (options.Hold)
            {
                await CallerHandOver.WriteNoneAsync().ConfigureAwait(false);
            }
            return ExitCodes.Success;
        }
        await using (item)
        {
            return (await jobs.RunAsync(item).ConfigureAwait(false)).ExitCode;
        }
    }

    private async Task SlotAsync(ISourceDriver source, JobRunner jobs, FetchRetry fetch, HeldItems held, TimeSpan interval, bool exitWhenEmpty, CancellationTokenSource stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var started = DateTime.UtcNow;
            var item = await fetch.FetchAsync(source, interval, stopping.Token).ConfigureAwait(false);
            if (item is not null && await held.ReturnIfHeldAsync(item).ConfigureAwait(false))
            {
                item = null;
            }
            if (item is null)
            {
                // -exit-when-empty: this slot is done once it finds nothing while no job runs anywhere (held
                // items do not count: they are handed back at exit). A job still running may fail and hand its
                // item back; its own slot then fetches it again.
                if (exitWhenEmpty && Volatile.Read(ref _running) == 0)
                {
                    return;
                }
                // A blocking source already waited; only make up the rest of the interval.
                await Backoff.SleepAsync(interval - (DateTime.UtcNow - started), stopping.Token).ConfigureAwait(false);
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

    /// <summary>What -max-failures will do with this driver, said once at start-up.</summary>
    private static string MaxFailuresPlan(ISourceDriver source, string driver, int max) => source switch
    {
        IDeadLetterSource => $"-max-failures {max}: an item that fails {max} times goes to {driver}'s dead-letter place",
        { FailSetsAside: true } => $"-max-failures {max}: {driver} has no dead-letter place; an item that fails {max} times is set aside by the fail op",
        _ => $"-max-failures {max}: {driver} has no dead-letter place and no fail op that sets items aside; an item that fails {max} times is parked (held by this procx, not run again) until procx exits",
    };
}
