using System.Runtime.InteropServices;

namespace Procx;

/// <summary>The few POSIX calls .NET does not offer: signals other than SIGKILL, process groups, and the exec shim's.</summary>
internal static partial class NativeMethods
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGPIPE = 13;
    public const int SIGTERM = 15;

    private const int PR_SET_PDEATHSIG = 1;
    private const int X_OK = 1;
    private const int SIG_SETMASK = 2;

    /// <summary>POSIX kill(2): .NET's Process.Kill only sends SIGKILL, but a child deserves SIGTERM first.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysKill(int pid, int signal);

    [DllImport("libc", EntryPoint = "setpgid", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysSetpgid(int pid, int pgid);

    [DllImport("libc", EntryPoint = "getppid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysGetppid();

    [DllImport("libc", EntryPoint = "prctl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysPrctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", EntryPoint = "access", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysAccess(nint path, int mode);

    [DllImport("libc", EntryPoint = "execv", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysExecv(nint path, nint[] argv);

    [DllImport("libc", EntryPoint = "signal")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysSignal(int signal, nint handler);

    [DllImport("libc", EntryPoint = "sigprocmask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysSigprocmask(int how, byte[] set, nint oldSet);

    private const short POLLOUT = 0x4;
    private const short POLLERR = 0x8;
    private const short POLLHUP = 0x10;
    // errno values (the same on Linux's x86-64 and arm64), one place for procx.
    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENOEXEC = 8;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int ENOTDIR = 20;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysPoll(ref PollFd fds, nuint count, int timeoutMs);

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysWrite(int fd, ref byte buffer, nint count);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for pipe <paramref name="fd"/> to take a write: true when it
    /// will, false on timeout; an IOException when its reader is gone.
    /// </summary>
    public static bool WaitWritable(int fd, int timeoutMs)
    {
        var poll = new PollFd { Fd = fd, Events = POLLOUT };
        var ready = SysPoll(ref poll, 1, timeoutMs);
        if (ready < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == EINTR ? false : throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }
        if ((poll.Revents & (POLLERR | POLLHUP)) != 0)
        {
            throw new IOException("the reading end of the pipe is closed");
        }
        return ready > 0 && (poll.Revents & POLLOUT) != 0;
    }

    /// <summary>write(2) once; the bytes written (0 when interrupted or it would block), or an IOException (EPIPE).</summary>
    public static int Write(int fd, ReadOnlySpan<byte> data)
    {
        var written = SysWrite(fd, ref MemoryMarshal.GetReference(data), data.Length);
        if (written >= 0)
        {
            return (int)written;
        }
        var errno = Marshal.GetLastPInvokeError();
        return errno is EINTR or EAGAIN ? 0 : throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
    }

    [DllImport("libc", EntryPoint = "_exit")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern void SysExit(int status);

    /// <summary>_exit(2): ends the process now; no thread can finish a job (and settle its item) meanwhile.</summary>
    public static void ExitNow(int status) => SysExit(status);

    /// <summary>kill(pid, signal) to one process; never to a group or to every process (pid 0 or less).</summary>
    public static void Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows() || pid <= 0)
        {
            return;
        }
        _ = SysKill(pid, signal);
    }

    /// <summary>Signals every process of group <paramref name="pgid"/>; false when the group has no member left.</summary>
    public static bool SignalGroup(int pgid, int signal) => !OperatingSystem.IsWindows() && pgid > 0 && SysKill(-pgid, signal) == 0;

    /// <summary>setpgid(pid, pid): makes <paramref name="pid"/> the leader of a group of its own. False if it already exec'd.</summary>
    public static bool LeadOwnGroup(int pid) => !OperatingSystem.IsWindows() && SysSetpgid(pid, pid) == 0;

    public static int ParentProcessId() => SysGetppid();

    /// <summary>Linux: this process gets <paramref name="signal"/> when the thread that started it ends.</summary>
    public static bool SetParentDeathSignal(int signal) => SysPrctl(PR_SET_PDEATHSIG, (nuint)signal, 0, 0, 0) == 0;

    /// <summary>access(path, X_OK), the test execvp makes: 0 when this process's user may execute it, else the errno.</summary>
    public static int ExecuteAccess(string path)
    {
        var native = Marshal.StringToCoTaskMemUTF8(path);
        try
        {
            return SysAccess(native, X_OK) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
        finally
        {
            Marshal.FreeCoTaskMem(native);
        }
    }

    /// <summary>Restores the signal state a freshly exec'd program expects, which the .NET runtime changed in this process.</summary>
    public static void ResetSignalsForExec()
    {
        _ = SysSignal(SIGPIPE, 0); // SIG_DFL: the runtime ignores SIGPIPE, and an ignored signal stays ignored across exec
        _ = SysSigprocmask(SIG_SETMASK, new byte[128], 0); // an empty sigset_t (glibc's is 128 bytes)
    }

    /// <summary>execv(2): only returns on failure, with the errno.</summary>
    public static int Exec(string path, IReadOnlyList<string> argv)
    {
        var nativePath = Marshal.StringToCoTaskMemUTF8(path);
        var nativeArgv = new nint[argv.Count + 1];
        for (var i = 0; i < argv.Count; i++)
        {
            nativeArgv[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        }
        _ = SysExecv(nativePath, nativeArgv);
        return Marshal.GetLastPInvokeError(); // no need to free: the process exits next
    }
}
