using System.Runtime.InteropServices;

namespace Procx;

/// <summary>The calls behind <see cref="NativeSpawn"/>'s children: their stdin, and learning that they exited.</summary>
internal static partial class NativeMethods
{
    public const int ECHILD = 10;
    private const int O_CLOEXEC = 0x80000; // the same on x86-64 and arm64
    private const int O_NONBLOCK = 0x800;
    private const short POLLIN = 0x1;

    [DllImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe int SysPipe2(int* fds, int flags);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysClose(int fd);

    [DllImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe int SysWaitpid(int pid, int* status, int options);

    [DllImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysEventfd(uint initial, int flags);

    [DllImport("libc", EntryPoint = "read", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe nint SysRead(int fd, void* buffer, nint count);

    [DllImport("libc", EntryPoint = "poll", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe int SysPollMany(PollFd* fds, nuint count, int timeoutMs);

    private const int SIGCHLD = 17; // x86-64 and arm64
    private const nint SIG_IGN = 1;

    /// <summary>
    /// A procx started with SIGCHLD ignored (some supervisors do that) would have its children reaped by the
    /// kernel, exit codes lost; and the runtime, seeing it ignored, reaps every child itself. Default it is,
    /// before the runtime looks; the children inherit that default, as they would from a shell.
    /// </summary>
    public static unsafe void KeepChildExitCodes()
    {
        // glibc's struct sigaction starts with the handler on every Linux architecture; 256 bytes hold it all.
        var current = stackalloc byte[256];
        if (SysSigaction(SIGCHLD, null, current) == 0 && *(nint*)current == SIG_IGN)
        {
            _ = SysSignal(SIGCHLD, 0); // SIG_DFL
        }
    }

    [DllImport("libc", EntryPoint = "sigaction")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern unsafe int SysSigaction(int signal, void* action, void* previous);

    /// <summary>A close-on-exec pipe: (read end, write end), or the errno.</summary>
    public static unsafe (int Read, int Write, int Errno) Pipe()
    {
        var fds = stackalloc int[2];
        return SysPipe2(fds, O_CLOEXEC) == 0 ? (fds[0], fds[1], 0) : (-1, -1, Marshal.GetLastPInvokeError());
    }

    /// <summary>/dev/null for reading, close-on-exec; -1 if it cannot be opened.</summary>
    public static int OpenNullDevice() => SysOpen("/dev/null", O_CLOEXEC);

    public static void Close(int fd) => _ = SysClose(fd);

    /// <summary>A non-blocking close-on-exec eventfd, or -1.</summary>
    public static int EventFd() => SysEventfd(0, O_CLOEXEC | O_NONBLOCK);

    /// <summary>Adds one to an eventfd, waking whoever polls it.</summary>
    public static unsafe void Notify(int eventFd)
    {
        ulong one = 1;
        _ = SysWrite(eventFd, ref *(byte*)&one, sizeof(ulong));
    }

    /// <summary>Empties a non-blocking eventfd.</summary>
    public static unsafe void Drain(int eventFd)
    {
        ulong count;
        _ = SysRead(eventFd, &count, sizeof(ulong));
    }

    /// <summary>
    /// Waits (no timeout) until one of <paramref name="fds"/> is readable; sets <paramref name="ready"/> for
    /// those that are. False when interrupted by a signal.
    /// </summary>
    public static unsafe bool WaitReadable(ReadOnlySpan<int> fds, Span<bool> ready)
    {
        var polls = stackalloc PollFd[fds.Length];
        for (var i = 0; i < fds.Length; i++)
        {
            polls[i] = new PollFd { Fd = fds[i], Events = POLLIN };
        }
        if (SysPollMany(polls, (nuint)fds.Length, -1) < 0)
        {
            return false;
        }
        for (var i = 0; i < fds.Length; i++)
        {
            ready[i] = polls[i].Revents != 0;
        }
        return true;
    }

    /// <summary>
    /// waitpid(pid, 0): blocks until the child exits and reaps it. Its exit code, 128 + the signal that killed
    /// it (as a shell reports it), or -errno (ECHILD: somebody else reaped it).
    /// </summary>
    public static unsafe int Reap(int pid)
    {
        int status;
        int result;
        while ((result = SysWaitpid(pid, &status, 0)) < 0 && Marshal.GetLastPInvokeError() == EINTR)
        {
        }
        if (result < 0)
        {
            return -Marshal.GetLastPInvokeError();
        }
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }
}
