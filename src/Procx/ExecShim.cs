using System.Diagnostics;
using System.Globalization;
using Drivers.Core;

namespace Procx;

/// <summary>
/// Linux: the child must be in a process group of its own (so a stop reaches its children too) and must die
/// with procx (so a SIGKILLed procx leaves no runner behind, whose item the next procx would run again). Both
/// need calls between fork and exec, which .NET cannot make; so procx starts itself as this shim, which makes
/// them and then execs the command in its own place: no extra process remains, and stdin, stdout, stderr,
/// the environment and the pid pass unchanged. Where the build linked native/spawn.c, it makes those calls
/// itself between its vfork and the exec (<see cref="NativeSpawn"/>) and no shim runs; otherwise procx itself,
/// started with <see cref="Marker"/>, is the shim and runs it before anything else (no settings, no drivers,
/// no logging), at the cost of one start of the runtime per job.
/// </summary>
internal static class ExecShim
{
    /// <summary>procx's first argument when it runs as the shim; no flag or command starts like this.</summary>
    public const string Marker = "\u0001procx-exec-shim";

    /// <summary>/proc/self/exe rather than procx's path: still this executable after an upgrade replaced the file.</summary>
    private const string Self = "/proc/self/exe";

    private static bool s_procxIsRunning;

    /// <summary>
    /// Whether children start through the shim here: on Linux, and only when this process is procx itself
    /// (its Main ran). Code hosted elsewhere (a test host) would re-execute that host instead of procx.
    /// </summary>
    public static bool Supported => s_procxIsRunning && OperatingSystem.IsLinux();

    /// <summary>Called by procx's Main: /proc/self/exe is procx, so it can be its children's shim.</summary>
    public static void EnableForThisProcess() => s_procxIsRunning = true;

    /// <summary>A start of procx as the shim that will exec <paramref name="path"/> with <paramref name="argv"/> (argv[0] included).</summary>
    public static ProcessStartInfo StartInfo(string path, IReadOnlyList<string> argv)
    {
        var start = new ProcessStartInfo(Self);
        start.ArgumentList.Add(Marker);
        start.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(path);
        foreach (var arg in argv)
        {
            start.ArgumentList.Add(arg);
        }
        return start;
    }

    /// <summary>The shim itself: args are [marker, procx's pid, path, argv...]. Returns only when exec failed.</summary>
    public static int Run(string[] args)
    {
        if (args.Length < 4 || !int.TryParse(args[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
        {
            Console.Error.WriteLine("procx: error: internal exec shim started with bad arguments");
            return ExitCodes.Internal;
        }
        // Own group first: procx signals the group (it also calls setpgid for us, whichever runs first).
        NativeMethods.LeadOwnGroup(0);
        NativeMethods.SetParentDeathSignal(NativeMethods.SIGKILL);
        if (NativeMethods.ParentProcessId() != parent)
        {
            return ExitCodes.FromSignal(NativeMethods.SIGKILL); // procx died before the death signal was armed
        }
        NativeMethods.ResetSignalsForExec();
        var errno = NativeMethods.Exec(args[2], args.AsSpan(3).ToArray());
        Console.Error.WriteLine($"procx: error: could not start '{args[3]}': {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)}");
        return ExitCodes.ChildNotStartable;
    }
}
