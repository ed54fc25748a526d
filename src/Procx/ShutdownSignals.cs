using System.Runtime.InteropServices;

namespace Procx;

/// <summary>
/// SIGINT/SIGTERM. The first stops taking work at once; running children get the signal after
/// -shutdown-timeout (0: at once), and SIGKILL if they still run -timeout-grace later. Their exit codes then
/// decide clear or fail as usual, so every item is settled before procx exits. A second signal exits at once;
/// the work procx held stays in the source, recoverable by the source's own rules.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly HashSet<ChildProcess> _children = [];
    private readonly Lock _gate = new();
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeSpan _grace;
    private int _count;
    private volatile bool _forwarding;

    public ShutdownSignals(TimeSpan shutdownTimeout, TimeSpan grace)
    {
        _shutdownTimeout = shutdownTimeout;
        _grace = grace;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>Cancelled on the first signal: stop fetching, stop sleeping.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>True once procx has passed a shutdown signal on to the running children: a child that fails
    /// after this was interrupted, and its work is released rather than failed.</summary>
    public bool Forwarding => _forwarding;

    /// <summary>The signal received (raw number), or 0.</summary>
    public int Received { get; private set; }

    public void Track(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Add(child);
        }
        if (_forwarding)
        {
            _ = child.StopAsync(Received, _grace, wholeTree: false); // it started as the signal went out
        }
    }

    public void Untrack(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Remove(child);
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _stopping.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // procx decides when to exit, after its children
        var raw = context.Signal == PosixSignal.SIGINT ? NativeMethods.SIGINT : NativeMethods.SIGTERM;
        if (Interlocked.Increment(ref _count) > 1)
        {
            Environment.Exit(128 + raw);
        }
        Received = raw;
        _stopping.Cancel();
        _ = ForwardAfterTimeoutAsync(raw);
    }

    private async Task ForwardAfterTimeoutAsync(int signal)
    {
        if (_shutdownTimeout > TimeSpan.Zero)
        {
            await Task.Delay(_shutdownTimeout).ConfigureAwait(false);
        }
        _forwarding = true;
        List<ChildProcess> running;
        lock (_gate)
        {
            running = [.. _children];
        }
        foreach (var child in running)
        {
            _ = child.StopAsync(signal, _grace, wholeTree: false);
        }
    }
}
