namespace Procx;

/// <summary>
/// The name this process was started under (argv[0]), for the multi-call binary. On Linux it is read from
/// /proc/self/cmdline, because a symlink named pushx resolves to procx in the executable's own path;
/// elsewhere the executable's path is the name (a copy or hard link keeps its own).
/// </summary>
internal static class InvokedName
{
    public static bool Is(string tool)
    {
        var name = Path.GetFileName(ArgumentZero() ?? Environment.ProcessPath ?? "");
        return name == tool || name == tool + ".exe";
    }

    private static string? ArgumentZero()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline");
            var end = Array.IndexOf(cmdline, (byte)0);
            return end > 0 ? System.Text.Encoding.UTF8.GetString(cmdline, 0, end) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
