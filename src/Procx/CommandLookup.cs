using System.Runtime.InteropServices;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx;

/// <summary>
/// Finds the child's executable as execvp(3) and Go's os/exec do, not as .NET's Process.Start does (which
/// tries the working directory and procx's own folder before PATH, so a <c>./echo</c> would shadow
/// <c>/bin/echo</c>): a name with a '/' is a path, used as it is; any other name is looked up in PATH only.
/// </summary>
internal static class CommandLookup
{
    /// <summary>execvp's search path when PATH is unset (glibc's confstr(_CS_PATH)).</summary>
    private const string DefaultPath = "/bin:/usr/bin";

    /// <summary>
    /// The absolute path of <paramref name="command"/>, or a configuration failure with exit 127 naming it.
    /// An empty or relative PATH entry (which execvp reads relative to the working directory) is skipped:
    /// that lookup is the hole this class closes; Go's os/exec refuses it too.
    /// </summary>
    public static string Resolve(string command, string? pathVariable)
    {
        // A daemon starts the same command for every job: the last answer is checked again (two system calls)
        // rather than PATH searched again. A file that went away is looked up afresh, as a shell's hash would.
        if (Volatile.Read(ref s_last) is { } last && last.Command == command && last.PathVariable == pathVariable && Problem(last.Path) is null)
        {
            return last.Path;
        }
        var path = Search(command, pathVariable);
        Volatile.Write(ref s_last, new Resolved(command, pathVariable, path));
        return path;
    }

    /// <summary>One answer, replaced whole: concurrent jobs read it without a lock.</summary>
    private sealed record Resolved(string Command, string? PathVariable, string Path);

    private static Resolved? s_last;

    private static string Search(string command, string? pathVariable)
    {
        if (command.Length == 0)
        {
            throw NotStartable("the command is empty");
        }
        if (command.Contains('/', StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(command);
            return Problem(path) is { } problem ? throw NotStartable($"cannot run '{command}': {problem}") : path;
        }
        var searched = string.IsNullOrEmpty(pathVariable) ? DefaultPath : pathVariable;
        foreach (var dir in searched.Split(':'))
        {
            if (dir.Length == 0 || dir[0] != '/')
            {
                continue;
            }
            var candidate = Path.Join(dir, command);
            if (Problem(candidate) is null)
            {
                return candidate;
            }
        }
        throw NotStartable($"command '{command}' not found in PATH ({searched}); give its path (with a '/') or fix PATH");
    }

    /// <summary>Why <paramref name="path"/> cannot be executed, or null when it can: a regular file with execute permission.</summary>
    private static string? Problem(string path)
    {
        if (Directory.Exists(path))
        {
            return "it is a directory";
        }
        if (OperatingSystem.IsWindows())
        {
            return File.Exists(path) ? null : "no such file";
        }
        return NativeMethods.ExecuteAccess(path) switch
        {
            0 => null,
            NativeMethods.ENOENT or NativeMethods.ENOTDIR => "no such file",
            NativeMethods.EACCES => "permission denied (not executable)",
            var errno => Marshal.GetPInvokeErrorMessage(errno),
        };
    }

    /// <summary>Every job would fail the same way, so this stops procx and leaves the item to the source.</summary>
    private static HostFailureException NotStartable(string message) =>
        new(FailureKind.Configuration, message, ExitCodes.ChildNotStartable);
}
