using System.Globalization;
using System.Runtime.InteropServices;

namespace Procx;

/// <summary>
/// SIGINT/SIGTERM/SIGHUP. The first stops taking work at once; running children (their whole process
/// groups) get the signal after -shutdown-timeout (0: at once), SIGTERM for a SIGHUP, and SIGKILL if they
/// still run -timeout-grace later. A second signal kills every running child's group and exits at once
/// (128 + signal); the work procx held stays in the source, recoverable by the source's own rules.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly HashSet<ChildProcess> _children = [];
    private readonly List<Task> _stops = [];
    private readonly Lock _gate = new();
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeSpan _grace;
    private int _count;
    private volatile bool _forwarding;
    private volatile bool _exiting;

    public ShutdownSignals(TimeSpan shutdownTimeout, TimeSpan grace)
    {
        _shutdownTimeout = shutdownTimeout;
        _grace = grace;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            // nohup (or a supervisor) ignored SIGHUP for us on purpose; a handler would undo that.
            if (signal == PosixSignal.SIGHUP && IgnoredAtStart(NativeMethods.SIGHUP))
            {
                continue;
            }
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>Cancelled on the first signal: stop fetching, stop sleeping.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>The signal received (raw number), or 0.</summary>
    public int Received { get; private set; }

    /// <summary>True once -shutdown-timeout passed and the signal went out to the running children.</summary>
    public bool Forwarding => _forwarding;

    /// <summary>
    /// Whether <paramref name="child"/> was told to stop because procx is shutting down: its exit then says
    /// nothing about its item, which should be released rather than failed.
    /// </summary>
    public bool ForwardedTo(ChildProcess child) => _forwarding && child.StoppedForShutdown;

    public void Track(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Add(child);
        }
        if (_forwarding)
        {
            Stop(child, ForwardedSignal(Received)); // it started as the signal went out
        }
    }

    public void Untrack(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Remove(child);
        }
    }

    /// <summary>
    /// Waits (at most -timeout-grace) for the stops it sent: a child that exited on the signal may have left
    /// something in its group that ignores it, which gets SIGKILL before procx exits rather than run on.
    /// </summary>
    public void Dispose()
    {
        WaitIfExiting(); // Main must not return (exit 0) while the signal thread is on its way to _exit
        Task[] stops;
        lock (_gate)
        {
            stops = [.. _stops];
        }
        try
        {
            Task.WaitAll(stops, _grace + TimeSpan.FromSeconds(1));
        }
        catch (AggregateException)
        {
            // a stop that failed has nothing left to wait for
        }
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
        _stopping.Dispose();
    }

    /// <summary>
    /// Blocks for good once a second signal is acted on. The signal thread kills the children, then exits with
    /// 128 + signal; a job that sees its child die in between must not settle the item (it was not the
    /// child's failure, and the item stays with the source), nor may Main return 0 first.
    /// </summary>
    public void WaitIfExiting()
    {
        if (_exiting)
        {
            Thread.Sleep(Timeout.Infinite);
        }
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // procx decides when to exit, after its children
        var raw = context.Signal switch
        {
            PosixSignal.SIGINT => NativeMethods.SIGINT,
            PosixSignal.SIGHUP => NativeMethods.SIGHUP,
            _ => NativeMethods.SIGTERM,
        };
        if (Interlocked.Increment(ref _count) > 1)
        {
            // Exiting at once must not leave a child (or what it started) running on with nobody to settle it.
            // _exit rather than Environment.Exit, which would run exit handlers while jobs go on; and the
            // flag first, so the job of a child killed here waits for the exit instead of failing the item
            // (WaitIfExiting). Logs are written unbuffered.
            _exiting = true;
            foreach (var child in Running())
            {
                child.KillTree();
            }
            NativeMethods.ExitNow(128 + raw);
        }
        Received = raw;
        _stopping.Cancel();
        _ = ForwardAfterTimeoutAsync(ForwardedSignal(raw));
    }

    /// <summary>A hangup means "stop" to procx; to the child it may mean "reload", so it gets SIGTERM.</summary>
    private static int ForwardedSignal(int received) => received == NativeMethods.SIGHUP ? NativeMethods.SIGTERM : received;

    private async Task ForwardAfterTimeoutAsync(int signal)
    {
        if (_shutdownTimeout > TimeSpan.Zero)
        {
            await Task.Delay(_shutdownTimeout).ConfigureAwait(false);
        }
        _forwarding = true;
        foreach (var child in Running())
        {
            Stop(child, signal);
        }
    }

    private void Stop(ChildProcess child, int signal)
    {
        child.MarkStoppedForShutdown();
        var stop = child.StopAsync(signal, _grace, wholeTree: true);
        lock (_gate)
        {
            _stops.Add(stop);
        }
    }

    private List<ChildProcess> Running()
    {
        lock (_gate)
        {
            return [.. _children];
        }
    }

    /// <summary>Linux: whether <paramref name="signal"/> was ignored when procx started (SigIgn in /proc/self/status).</summary>
    private static bool IgnoredAtStart(int signal)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                {
                    var mask = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                    return (mask & (1UL << (signal - 1))) != 0;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
        }
        return false;
    }
}
