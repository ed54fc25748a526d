using System.Runtime.InteropServices;

namespace Drivers.Core.Hosting;

/// <summary>
/// stdin and stdout as the process inherited them. .NET's console streams do not fit a tool whose output is
/// the product: the console's stdout ignores EPIPE (a pipe whose reader has gone swallows everything and the
/// tool reports success), and when a parent started us with fd 0 or 1 closed (<c>&lt;&amp;-</c>,
/// <c>&gt;&amp;-</c>) the runtime reuses the free descriptor for a file of its own (/dev/urandom, say), which
/// the console then reads or writes as if it were ours.
/// </summary>
public static class StandardStreams
{
    public const int Stdin = 0;
    public const int Stdout = 1;

    private const int F_GETFD = 1;
    private const int FD_CLOEXEC = 1;

    /// <summary>
    /// True when <paramref name="fd"/> is open and was inherited from the parent. The runtime opens all of its
    /// descriptors close-on-exec, and a descriptor passed through exec never has that flag, so a standard
    /// descriptor that is closed, or open with FD_CLOEXEC, is one the parent did not give us.
    /// </summary>
    public static bool IsInherited(int fd)
    {
        if (OperatingSystem.IsWindows())
        {
            return true;
        }
        var flags = GetDescriptorFlags(fd, F_GETFD);
        return flags != -1 && (flags & FD_CLOEXEC) == 0;
    }

    /// <summary>
    /// fd 1 as a stream whose writes throw <see cref="StandardOutputException"/> on any error (EPIPE, ENOSPC,
    /// EIO) instead of dropping the bytes. Throws the same at once when stdout was closed at start. Disposing
    /// it leaves fd 1 open.
    /// </summary>
    public static Stream OpenStdout()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }
        if (!IsInherited(Stdout))
        {
            throw new StandardOutputException("stdout is closed (the tool was started with fd 1 closed, e.g. >&-)");
        }
        return new DescriptorWriteStream(Stdout, "stdout");
    }

    /// <summary>
    /// Ends stdout for its reader (EOF) while the process goes on: fd 1 is pointed at /dev/null, so the pipe's
    /// last write end here closes and a later stray write goes nowhere rather than to a reused descriptor.
    /// </summary>
    public static void CloseStdout()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        var path = Marshal.StringToCoTaskMemUTF8("/dev/null");
        int devNull;
        try
        {
            devNull = Open(path, O_WRONLY);
        }
        finally
        {
            Marshal.FreeCoTaskMem(path);
        }
        if (devNull < 0)
        {
            throw new StandardOutputException("cannot close stdout (cannot open /dev/null)");
        }
        // The runtime's Console keeps duplicates of fd 1 (once anything touched Console.Out); each keeps the
        // pipe open, so every descriptor of the same pipe or file goes too.
        foreach (var fd in CopiesOf(Stdout).Append(Stdout))
        {
            if (Dup2(devNull, fd) < 0)
            {
                throw new StandardOutputException("cannot close stdout (dup2 of /dev/null failed)");
            }
        }
        _ = Close(devNull);
    }

    /// <summary>Linux: the other descriptors of this process open on what <paramref name="fd"/> is (/proc/self/fd links).</summary>
    private static List<int> CopiesOf(int fd)
    {
        var copies = new List<int>();
        if (!OperatingSystem.IsLinux())
        {
            return copies;
        }
        try
        {
            var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            // Only a pipe or socket has a reader waiting for EOF; a terminal may also be stdin's, through a copy
            // the runtime holds for reading.
            if (target is null || !(target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
            {
                return copies;
            }
            foreach (var link in Directory.GetFiles("/proc/self/fd"))
            {
                if (int.TryParse(Path.GetFileName(link), out var other) && other != fd && other > 2
                    && new FileInfo(link).LinkTarget == target)
                {
                    copies.Add(other);
                }
            }
        }
        catch (IOException)
        {
            // a descriptor closed while we looked: not a copy that matters
        }
        return copies;
    }

    private const int O_WRONLY = 1;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open(nint path, int flags); // open is variadic; without O_CREAT it takes no mode

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Dup2(int from, int to);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);

    // fcntl is variadic; F_GETFD takes no third argument, so the two-argument form is exact.
    [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetDescriptorFlags(int fd, int command);
}

/// <summary>Writing to stdout failed (closed, reader gone, disk full): the bytes did not arrive.</summary>
public sealed class StandardOutputException : IOException
{
    public StandardOutputException() : base("cannot write to stdout") { }

    public StandardOutputException(string message) : base(message) { }

    public StandardOutputException(string message, Exception inner) : base(message, inner) { }
}
