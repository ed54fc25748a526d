using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx;

/// <summary>
/// Runs one child. Its stdout and stderr are procx's own (inherited, never copied), so
/// <c>procx app | pushx</c> carries exactly the child's bytes. Its stdin is the payload with
/// -pass-work-as-stdin, otherwise nothing to read: /dev/null as in the original where procx starts the child
/// itself (<see cref="NativeSpawn"/>), a closed pipe where .NET's Process does. The command is found in PATH
/// only (<see cref="CommandLookup"/>); on Linux the child leads a process group of its own and dies with
/// procx (<see cref="ExecShim"/>), so a stop reaches everything it started.
/// </summary>
internal sealed partial class ChildProcess
{
    /// <summary>How often a stop looks whether the child's group is gone once the child itself exited.</summary>
    private static readonly TimeSpan GroupPoll = TimeSpan.FromMilliseconds(50);

    private readonly int _pid;
    private readonly Task<int> _exit;
    private readonly Stream? _stdin;
    private readonly Action _closeStdin;
    private readonly bool _leadsGroup;
    private volatile bool _stoppedForShutdown;

    private ChildProcess(string startedBy, int pid, Task<int> exit, Stream? stdin, Action closeStdin, bool leadsGroup)
    {
        StartedBy = startedBy;
        _pid = pid;
        _exit = exit;
        _stdin = stdin;
        _closeStdin = closeStdin;
        _leadsGroup = leadsGroup;
    }

    public int Id => _pid;

    /// <summary>How it was started, for the debug log: "vfork" (native/spawn.c), "exec shim" (procx as the shim) or "process".</summary>
    public string StartedBy { get; }

    /// <summary>True once a shutdown signal was forwarded to this child (set by <see cref="ShutdownSignals"/>).</summary>
    public bool StoppedForShutdown => _stoppedForShutdown;

    private bool HasExited => _exit.IsCompleted;

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
        if (NativeSpawn.Available)
        {
            return await StartNativeAsync(options, delivery, path, argv).ConfigureAwait(false);
        }
        var process = await LaunchAsync(StartInfo(options, delivery, path, argv), options.Command[0]).ConfigureAwait(false);
        // The shim makes its own group before it execs; doing it here as well closes the window in which a
        // stop would signal a group that does not exist yet. Elsewhere this is the only call, and it loses
        // when the child has already exec'd.
        var leadsGroup = NativeMethods.LeadOwnGroup(process.Id) || ExecShim.Supported;
        return new ChildProcess(ExecShim.Supported ? "exec shim" : "process", process.Id, ExitCodeAsync(process), process.StandardInput.BaseStream, process.StandardInput.Close, leadsGroup);
    }

    private static async Task<int> ExitCodeAsync(Process process)
    {
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode;
    }

    private static HostFailureException NotStarted(string command, int errno) =>
        new(FailureKind.Transient, $"could not start '{command}': {Marshal.GetPInvokeErrorMessage(errno)}", ExitCodes.ChildNotStartable);

    private static ProcessStartInfo StartInfo(JobOptions options, PayloadDelivery delivery, string path, List<string> argv)
    {
        var start = ExecShim.Supported ? ExecShim.StartInfo(path, argv) : PlainStart(path, argv);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = false;
        start.RedirectStandardError = false;
        PrepareEnvironment(start.Environment, options, delivery);
        return start;
    }

    /// <summary>
    /// The child's environment is procx's, minus procx's own settings (and credentials) unless -host-env; plus
    /// the payload's variables. PUSHX_* still reach a `procx pushx` child.
    /// </summary>
    private static void PrepareEnvironment(IDictionary<string, string?> environment, JobOptions options, PayloadDelivery delivery)
    {
        if (!options.HostEnv)
        {
            foreach (var name in environment.Keys.Where(k => k.StartsWith("PROCX_", StringComparison.Ordinal)).ToList())
            {
                environment.Remove(name);
            }
        }
        delivery.AddToEnvironment(environment);
    }

    /// <summary>Starts it; a start that fails is a failure of the job, with exit 127.</summary>
    private static async Task<Process> LaunchAsync(ProcessStartInfo start, string command)
    {
        try
        {
            return ExecShim.Supported
                ? await SpawnThread.RunAsync(() => Process.Start(start) ?? throw new Win32Exception("no process")).ConfigureAwait(false)
                : Process.Start(start) ?? throw new Win32Exception("no process");
        }
        catch (Win32Exception e)
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
        var code = await _exit.ConfigureAwait(false);
        await abandon.CancelAsync().ConfigureAwait(false);
        CloseStdin();
        await feeding.ConfigureAwait(false);
        return code;
    }

    /// <summary>
    /// Asks the child (with <paramref name="wholeTree"/>: its process group, and descendants that left the
    /// group) to stop with <paramref name="signal"/>; whatever of them still runs after <paramref name="grace"/>
    /// is killed.
    /// </summary>
    public async Task StopAsync(int signal, TimeSpan grace, bool wholeTree)
    {
        if (HasExited)
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
            NativeMethods.SignalGroup(_pid, signal);
        }
        var exited = _exit;
        if (await Task.WhenAny(exited, Task.Delay(grace)).ConfigureAwait(false) != exited)
        {
            KillTree();
            return;
        }
        // The child is gone; what it started in its group had the same grace.
        while (wholeTree && _leadsGroup && ProcessTree.GroupAlive(_pid))
        {
            if (deadline.Elapsed >= grace)
            {
                NativeMethods.SignalGroup(_pid, NativeMethods.SIGKILL);
                return;
            }
            await Task.Delay(GroupPoll).ConfigureAwait(false);
        }
    }

    /// <summary>SIGKILL to the child, its process group and its descendants.</summary>
    public void KillTree()
    {
        if (_pid <= 0)
        {
            return; // never started (the exec failed): there is nothing to kill, and kill(0) would be procx's group
        }
        var descendants = ProcessTree.Descendants(_pid); // before the kill: orphans lose their parent link
        if (_leadsGroup)
        {
            NativeMethods.SignalGroup(_pid, NativeMethods.SIGKILL);
        }
        NativeMethods.Signal(_pid, NativeMethods.SIGKILL);
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
            return wholeTree ? ProcessTree.Descendants(_pid).Prepend(_pid) : [_pid];
        }
        return ProcessTree.DescendantsOutsideGroup(_pid, _pid);
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
        try { _closeStdin(); } catch (Exception e) when (e is IOException or ObjectDisposedException) { }
    }

    private async Task FeedStdinAsync(PayloadDelivery delivery, CancellationToken abandon)
    {
        try
        {
            await using var source = delivery.OpenStdinSource();
            if (_stdin is PipeStream pipe && !OperatingSystem.IsWindows())
            {
                await StdinFeed.CopyAsync(source, pipe, abandon).ConfigureAwait(false);
            }
            else if (_stdin is not null)
            {
                await source.CopyToAsync(_stdin, abandon).ConfigureAwait(false);
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
