using System.Runtime.InteropServices;

namespace Procx;

internal static partial class NativeMethods
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    /// <summary>POSIX kill(2): .NET's Process.Kill only sends SIGKILL, but a child deserves SIGTERM first.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysKill(int pid, int signal);

    public static void Signal(int pid, int signal)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        _ = SysKill(pid, signal);
    }
}
