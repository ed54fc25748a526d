using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx;

/// <summary>
/// Runs one child. Its stdout and stderr are procx's own (inherited, never copied), so
/// <c>procx app | pushx</c> carries exactly the child's bytes. Its stdin is the payload with
/// -pass-work-as-stdin, otherwise empty (EOF), as in the original. The command is found in PATH only
/// (<see cref="CommandLookup"/>); on Linux the child leads a process group of its own and dies with procx
/// (<see cref="ExecShim"/>), so a stop reaches everything it started.
/// </summary>
internal sealed class ChildProcess
{
    /// <summary>How often a stop looks whether the child's group is gone once the child itself exited.</summary>
    private static readonly TimeSpan GroupPoll = TimeSpan.FromMilliseconds(50);

    private readonly Process _process;
    private readonly bool _leadsGroup;
    private volatile bool _stoppedForShutdown;

    private ChildProcess(Process process, bool leadsGroup)
    {
        _process = process;
        _leadsGroup = leadsGroup;
    }

    public int Id => _process.Id;

    /// <summary>True once a shutdown signal was forwarded to this child (set by <see cref="ShutdownSignals"/>).</summary>
    public bool StoppedForShutdown => _stoppedForShutdown;

    /// <summary>
    /// Starts the child. A command that cannot be found or executed is a configuration failure with exit 127
    /// (every job would fail the same way); a start the system refused (no memory, no pids) is transient.
    /// </summary>
    public static async Task<ChildProcess> StartAsync(JobOptions options, PayloadDelivery delivery)
    {
        var path = CommandLookup.Resolve(options.Command[0], Environment.GetEnvironmentVariable("PATH"));
        List<string> argv = [.. options.Command];
        if (delivery.ArgValue is { } arg)
        {
            argv.Add(arg);
        }
        Process process;
        try
        {
            process = await LaunchAsync(StartInfo(options, delivery, path, argv, nativeShim: true), options.Command[0]).ConfigureAwait(false);
        }
        catch (Win32Exception e) when (NativeShimRefused(e))
        {
            // The kernel would not execute the in-memory shim (a memfd in a noexec policy, no /proc): procx is
            // its own shim from now on, slower but the same.
            NativeShim.Refused();
            process = await LaunchAsync(StartInfo(options, delivery, path, argv, nativeShim: false), options.Command[0]).ConfigureAwait(false);
        }
        // The shim makes its own group before it execs; doing it here as well closes the window in which a
        // stop would signal a group that does not exist yet. Elsewhere this is the only call, and it loses
        // when the child has already exec'd.
        var leadsGroup = NativeMethods.LeadOwnGroup(process.Id) || ExecShim.Supported;
        return new ChildProcess(process, leadsGroup);
    }

    private static ProcessStartInfo StartInfo(JobOptions options, PayloadDelivery delivery, string path, List<string> argv, bool nativeShim)
    {
        var start = ExecShim.Supported ? ExecShim.StartInfo(path, argv, nativeShim) : PlainStart(path, argv);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = false;
        start.RedirectStandardError = false;
        if (!options.HostEnv)
        {
            // procx's own settings (and credentials) stay with procx; PUSHX_* still reach a `procx pushx` child.
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PROCX_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }
        }
        delivery.AddToEnvironment(start.Environment);
        return start;
    }

    /// <summary>Whether the kernel refused to execute the native shim itself (not the command: the shim reports that).</summary>
    private static bool NativeShimRefused(Win32Exception e) =>
        ExecShim.Supported && NativeShim.Path is not null && e.NativeErrorCode is NativeMethods.EACCES or NativeMethods.ENOEXEC or NativeMethods.ENOENT or NativeMethods.EPERM;

    /// <summary>Starts it; a start that fails is a failure of the job, with exit 127.</summary>
    private static async Task<Process> LaunchAsync(ProcessStartInfo start, string command)
    {
        try
        {
            return ExecShim.Supported
                ? await SpawnThread.StartAsync(start).ConfigureAwait(false)
                : Process.Start(start) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e) when (!NativeShimRefused(e))
        {
            var kind = ExecShim.Supported ? FailureKind.Transient : FailureKind.Configuration;
            throw new HostFailureException(kind, $"could not start '{command}': {ErrorText.Describe(e)}", ExitCodes.ChildNotStartable, e);
        }
    }

    /// <summary>
    /// Feeds stdin (or closes it) and waits for the child to exit; returns its exit code. The job is the
    /// child: once it exited, a feed still blocked (a grandchild holds stdin open and reads nothing) is
    /// abandoned and our end of the pipe closed.
    /// </summary>
    public async Task<int> WaitAsync(PayloadDelivery delivery, bool feedStdin)
    {
        using var abandon = new CancellationTokenSource();
        // On the thread pool: the feed blocks its thread in poll(2) while the pipe is full.
        var feeding = feedStdin ? Task.Run(() => FeedStdinAsync(delivery, abandon.Token), CancellationToken.None) : Task.CompletedTask;
        if (!feedStdin)
        {
            CloseStdin();
        }
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await abandon.CancelAsync().ConfigureAwait(false);
        CloseStdin();
        await feeding.ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>
    /// Asks the child (with <paramref name="wholeTree"/>: its process group, and descendants that left the
    /// group) to stop with <paramref name="signal"/>; whatever of them still runs after <paramref name="grace"/>
    /// is killed.
    /// </summary>
    public async Task StopAsync(int signal, TimeSpan grace, bool wholeTree)
    {
        if (_process.HasExited)
        {
            return;
        }
        var deadline = Stopwatch.StartNew();
        foreach (var pid in Targets(wholeTree))
        {
            NativeMethods.Signal(pid, signal);
        }
        if (wholeTree && _leadsGroup)
        {
            NativeMethods.SignalGroup(_process.Id, signal);
        }
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(grace)).ConfigureAwait(false) != exited)
        {
            KillTree();
            return;
        }
        // The child is gone; what it started in its group had the same grace.
        while (wholeTree && _leadsGroup && ProcessTree.GroupAlive(_process.Id))
        {
            if (deadline.Elapsed >= grace)
            {
                NativeMethods.SignalGroup(_process.Id, NativeMethods.SIGKILL);
                return;
            }
            await Task.Delay(GroupPoll).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL to the child, its process group and its descendants.</summary>
    public void KillTree()
    {
        var descendants = ProcessTree.Descendants(_process.Id); // before the kill: orphans lose their parent link
        if (_leadsGroup)
        {
            NativeMethods.SignalGroup(_process.Id, NativeMethods.SIGKILL);
        }
        NativeMethods.Signal(_process.Id, NativeMethods.SIGKILL);
        foreach (var pid in descendants)
        {
            NativeMethods.Signal(pid, NativeMethods.SIGKILL);
        }
    }

    /// <summary>Called by <see cref="ShutdownSignals"/> before it forwards a signal.</summary>
    internal void MarkStoppedForShutdown() => _stoppedForShutdown = true;

    /// <summary>Who gets a signal one by one: the child alone, or (whole tree) its descendants outside its group.</summary>
    private IEnumerable<int> Targets(bool wholeTree)
    {
        if (!wholeTree || !_leadsGroup)
        {
            return wholeTree ? ProcessTree.Descendants(_process.Id).Prepend(_process.Id) : [_process.Id];
        }
        return ProcessTree.DescendantsOutsideGroup(_process.Id, _process.Id);
    }

    private static ProcessStartInfo PlainStart(string path, IReadOnlyList<string> argv)
    {
        var start = new ProcessStartInfo(path);
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    private void CloseStdin()
    {
        try { _process.StandardInput.Close(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    private async Task FeedStdinAsync(PayloadDelivery delivery, CancellationToken abandon)
    {
        try
        {
            await using var source = delivery.OpenStdinSource();
            if (_process.StandardInput.BaseStream is PipeStream pipe && !OperatingSystem.IsWindows())
            {
                await StdinFeed.CopyAsync(source, pipe, abandon).ConfigureAwait(false);
            }
            else
            {
                await source.CopyToAsync(_process.StandardInput.BaseStream, abandon).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The child closed its stdin early (EPIPE), or exited before reading it all: its exit code decides
            // the job, not the broken or abandoned pipe.
        }
        finally
        {
            CloseStdin();
        }
    }
}
