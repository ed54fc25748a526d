using Drivers.Core.Contracts;
using Drivers.Core.Logging;

namespace Procx.Tests;

/// <summary>A JobRunner wired as Worker wires it, around a scripted source, with the log kept for asserts.</summary>
internal sealed class JobHarness : IAsyncDisposable
{
    private readonly StringWriter _logText = new();

    public JobHarness(ScriptedSource source, string[] command, bool daemon = false, int maxFailures = 0,
        TimeSpan? backoff = null, TimeSpan? timeout = null)
    {
        Source = source;
        var log = new StderrLog("procx", LogLevel.Debug, json: false, _logText);
        Options = new JobOptions(command, HostEnv: false, PassAsArg: false, PassAsStdin: false, PayloadFile: null, KeepPayloadFile: false,
            Timeout: timeout ?? TimeSpan.Zero, Grace: TimeSpan.FromSeconds(1), MaxFailures: maxFailures,
            FailureBackoff: backoff ?? TimeSpan.FromMinutes(10), FailureBackoffMax: TimeSpan.FromMinutes(10));
        Signals = new ShutdownSignals(TimeSpan.Zero, TimeSpan.FromSeconds(1));
        Stop = new WorkerStop();
        var settler = new Settler(source as IFailureTranslator, log, daemon, Signals.Stopping);
        Held = new HeldItems(source, settler, Stop, log);
        Jobs = new JobRunner(source, "scripted", Options, Signals, new NoMetrics(), log, daemon, settler, Held, new FailureBook(), Stop);
    }

    public ScriptedSource Source { get; }

    public JobOptions Options { get; }

    public ShutdownSignals Signals { get; }

    public WorkerStop Stop { get; }

    public HeldItems Held { get; }

    public JobRunner Jobs { get; }

    public string Log => _logText.ToString();

    public Task<JobResult> RunAsync(WorkItem item) => Jobs.RunAsync(item);

    /// <summary>Polls <paramref name="condition"/> until it holds or 10 s pass.</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await Held.DisposeAsync();
        Signals.Dispose();
        Stop.Dispose();
    }
}
