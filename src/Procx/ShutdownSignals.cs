using System.Runtime.InteropServices;

namespace Procx;

/// <summary>
/// SIGINT/SIGTERM: the first stops taking work and is forwarded to running children, whose exit codes then
/// decide clear or fail as usual. A second signal exits at once; the work stays in the source.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly HashSet<ChildProcess> _children = [];
    private readonly Lock _gate = new();
    private int _count;

    public ShutdownSignals()
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>Cancelled on the first signal: stop fetching, stop sleeping.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The signal received (raw number), or 0.</summary>
    public int Received { get; private set; }

    public void Track(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Add(child);
        }
        if (Received != 0)
        {
            child.Signal(Received); // it started as the signal arrived
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
        context.Cancel = true; // procx decides when to exit, after the child
        var raw = context.Signal == PosixSignal.SIGINT ? NativeMethods.SIGINT : NativeMethods.SIGTERM;
        if (Interlocked.Increment(ref _count) > 1)
        {
            Environment.Exit(128 + raw);
        }
        Received = raw;
        lock (_gate)
        {
            foreach (var child in _children)
            {
                child.Signal(raw);
            }
        }
        _stopping.Cancel();
    }
}
