using System.ComponentModel;
using System.Diagnostics;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx;

/// <summary>
/// Runs one child. Its stdout and stderr are procx's own (inherited, never copied), so
/// <c>procx app | pushx</c> carries exactly the child's bytes. Its stdin is the payload with
/// -pass-work-as-stdin, otherwise empty (EOF), as in the original.
/// </summary>
internal sealed class ChildProcess
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>Starts the child, or throws a <see cref="HostFailureException"/> (exit 127) when it cannot be started.</summary>
    public static ChildProcess Start(JobOptions options, PayloadDelivery delivery)
    {
        var start = new ProcessStartInfo(options.Command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        foreach (var arg in options.Command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }
        if (delivery.ArgValue is { } arg0)
        {
            start.ArgumentList.Add(arg0);
        }
        if (!options.HostEnv)
        {
            // procx's own settings (and credentials) stay with procx; PUSHX_* still reach a `procx pushx` child.
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PROCX_", StringComparison.Ordinal)).ToList())
            {
                start.Environment.Remove(name);
            }
        }
        delivery.AddToEnvironment(start.Environment);

        try
        {
            var process = Process.Start(start) ?? throw NotStartable(options, null);
            return new ChildProcess(process);
        }
        catch (Win32Exception e)
        {
            throw NotStartable(options, e);
        }
    }

    /// <summary>A command that cannot start fails every item the same way: a configuration error (exit 127).</summary>
    private static HostFailureException NotStartable(JobOptions options, Exception? e) => new(
        FailureKind.Configuration,
        $"could not start the command '{options.Command[0]}'{(e is null ? "" : ": " + ErrorText.Describe(e))}",
        ExitCodes.ChildNotStartable,
        e);

    /// <summary>Feeds stdin (or closes it) and waits for the child to exit; returns its exit code.</summary>
    public async Task<int> WaitAsync(PayloadDelivery delivery, bool feedStdin)
    {
        var feeding = feedStdin ? FeedStdinAsync(delivery) : CloseStdin();
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await feeding.ConfigureAwait(false);
        return _process.ExitCode;
    }

    public void Signal(int signal) => NativeMethods.Signal(_process.Id, signal);

    /// <summary>
    /// Asks the child (and with <paramref name="wholeTree"/> its descendants) to stop with
    /// <paramref name="signal"/>; whatever still runs after <paramref name="grace"/> is killed.
    /// </summary>
    public async Task StopAsync(int signal, TimeSpan grace, bool wholeTree)
    {
        if (_process.HasExited)
        {
            return;
        }
        var targets = wholeTree ? ProcessTree.Descendants(_process.Id).Prepend(_process.Id) : [_process.Id];
        foreach (var pid in targets)
        {
            NativeMethods.Signal(pid, signal);
        }
        var exited = _process.WaitForExitAsync();
        if (await Task.WhenAny(exited, Task.Delay(grace)).ConfigureAwait(false) != exited)
        {
            KillTree();
        }
    }

    public void KillTree()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (Win32Exception) { }
    }

    private Task CloseStdin()
    {
        _process.StandardInput.Close();
        return Task.CompletedTask;
    }

    private async Task FeedStdinAsync(PayloadDelivery delivery)
    {
        var stdin = _process.StandardInput.BaseStream;
        try
        {
            await using var source = delivery.OpenStdinSource();
            await source.CopyToAsync(stdin).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The child closed its stdin early (EPIPE): its exit code decides the job, not the broken pipe.
        }
        finally
        {
            try { _process.StandardInput.Close(); } catch (IOException) { }
        }
    }
}
