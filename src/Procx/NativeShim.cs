using System.Globalization;
using System.Runtime.InteropServices;
using Drivers.Core;

namespace Procx;

/// <summary>
/// The small exec shim (native/exec-shim.c), embedded in procx at build time and written once per procx into
/// an anonymous in-memory file (memfd), which children are started through by its /proc path. A job's start
/// then costs a static C program's exec instead of a second start of procx (its runtime set-up alone is
/// several times a child such as <c>true</c>). Absent (a build without a C compiler, another architecture) or
/// refused (no /proc, a kernel that forbids executing a memfd), procx itself is the shim (<see cref="ExecShim"/>).
/// </summary>
internal static class NativeShim
{
    /// <summary>The embedded program's resource name, one per architecture (Procx.csproj).</summary>
    private static readonly string ResourceName = "procx-exec-shim-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    private const uint MFD_CLOEXEC = 1;

    private static readonly Lock Gate = new();
    private static string? s_path;
    private static bool s_unusable;

    [DllImport("libc", EntryPoint = "memfd_create", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SysMemfdCreate([MarshalAs(UnmanagedType.LPUTF8Str)] string name, uint flags);

    /// <summary>The /proc path of the shim for this procx, or null when procx must be its own shim.</summary>
    public static string? Path
    {
        get
        {
            lock (Gate)
            {
                if (s_path is null && !s_unusable)
                {
                    s_path = Write();
                    s_unusable = s_path is null;
                }
                return s_path;
            }
        }
    }

    /// <summary>The shim could not be executed (EACCES, ENOEXEC): procx is its own shim from now on.</summary>
    public static void Refused()
    {
        lock (Gate)
        {
            s_path = null;
            s_unusable = true;
        }
    }

    private static string? Write()
    {
        using var program = typeof(NativeShim).Assembly.GetManifestResourceStream(ResourceName);
        if (program is null || !OperatingSystem.IsLinux())
        {
            return null;
        }
        // Close-on-exec: children do not inherit it; they reach it by procx's pid, which outlives them.
        var fd = SysMemfdCreate("procx-exec-shim", MFD_CLOEXEC);
        if (fd < 0)
        {
            return null;
        }
        var path = string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/fd/{fd}");
        // The x86-64 shim runs under every end-to-end test here; another architecture's is built on its own
        // machine only, so it first proves it can start and answer (bad arguments: exit 70) before a job's
        // child depends on it.
        if (Copied(program, fd) && (RuntimeInformation.ProcessArchitecture == Architecture.X64 || Answers(path)))
        {
            return path; // the descriptor stays open as long as procx runs
        }
        new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true).Dispose();
        return null;
    }

    private static bool Copied(Stream program, int fd)
    {
        try
        {
            using var file = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write);
            program.CopyTo(file);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool Answers(string path)
    {
        try
        {
            using var probe = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(path)
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            });
            if (probe is null)
            {
                return false;
            }
            probe.StandardError.ReadToEnd();
            return probe.WaitForExit(5000) && probe.ExitCode == ExitCodes.Internal;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return false;
        }
    }
}
