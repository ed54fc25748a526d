using System.IO.Pipes;
using System.Runtime.InteropServices;
using Drivers.Core;
using Microsoft.Win32.SafeHandles;

namespace Procx;

/// <summary>A child's start through native/spawn.c (<see cref="NativeSpawn"/>), where procx has it.</summary>
internal sealed partial class ChildProcess
{
    /// <summary>/dev/null, the stdin of every child that is not fed the payload (Go's os/exec gives the same).</summary>
    private static readonly Lazy<int> NullDevice = new(NativeMethods.OpenNullDevice);

    /// <summary>
    /// Its own group and parent-death signal are set before the exec; a command the kernel will not execute
    /// gets what procx as the shim gives it (the reason on stderr, exit 127); a fork the system refused (no
    /// memory, no pids) is transient.
    /// </summary>
    private static async Task<ChildProcess> StartNativeAsync(JobOptions options, PayloadDelivery delivery, string path, List<string> argv)
    {
        var environment = NativeEnvironment(options, delivery);
        var (stdinRead, stdinWrite) = (-1, -1);
        if (options.PassAsStdin)
        {
            var pipe = NativeMethods.Pipe();
            (stdinRead, stdinWrite) = pipe.Errno == 0 ? (pipe.Read, pipe.Write) : throw NotStarted(options.Command[0], pipe.Errno);
        }
        else
        {
            stdinRead = NullDevice.Value;
        }
        var stdin = stdinWrite >= 0 ? new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle(stdinWrite, ownsHandle: true)) : null;
        (int Pid, int PidFd, int Errno) started;
        try
        {
            started = await SpawnThread.RunAsync(() => NativeSpawn.Start(path, argv, environment, stdinRead)).ConfigureAwait(false);
        }
        finally
        {
            if (stdin is not null)
            {
                NativeMethods.Close(stdinRead); // the child has its copy
            }
        }
        if (started.Errno != 0)
        {
            stdin?.Dispose();
            if (started.Errno is NativeMethods.EAGAIN or NativeMethods.ENOMEM)
            {
                throw NotStarted(options.Command[0], started.Errno);
            }
            await Console.Error.WriteLineAsync($"procx: error: could not start '{argv[0]}': {Marshal.GetPInvokeErrorMessage(started.Errno)}").ConfigureAwait(false);
            return new ChildProcess("vfork", 0, Task.FromResult(ExitCodes.ChildNotStartable), null, () => { }, leadsGroup: false);
        }
        var exit = ChildReaper.ExitAsync(started.Pid, started.PidFd);
        return new ChildProcess("vfork", started.Pid, exit, stdin, () => stdin?.Dispose(), leadsGroup: true);
    }

    /// <summary>procx's environment as <see cref="PrepareEnvironment"/> makes it, as execve's "NAME=value" strings.</summary>
    private static List<string> NativeEnvironment(JobOptions options, PayloadDelivery delivery)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            environment[(string)variable.Key] = (string?)variable.Value;
        }
        PrepareEnvironment(environment, options, delivery);
        return [.. environment.Where(v => v.Value is not null).Select(v => v.Key + "=" + v.Value)];
    }
}
