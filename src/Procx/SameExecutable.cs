namespace Procx;

/// <summary>
/// Whether a file is the executable this process runs: the same file (a symlink or hard link to it) or a
/// byte-identical copy (procx and pushx are one multi-call binary, and archives and images may copy it).
/// Compared once per procx run, not per item.
/// </summary>
internal static class SameExecutable
{
    public static bool IsThisProcess(string path)
    {
        if (Environment.ProcessPath is not { } self)
        {
            return false;
        }
        try
        {
            var mine = new FileInfo(ResolveLinks(self));
            var theirs = new FileInfo(ResolveLinks(path));
            if (mine.FullName == theirs.FullName)
            {
                return true;
            }
            return mine.Length == theirs.Length && SameBytes(mine.FullName, theirs.FullName);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string ResolveLinks(string path) =>
        File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);

    private static bool SameBytes(string a, string b)
    {
        using var left = File.OpenRead(a);
        using var right = File.OpenRead(b);
        var x = new byte[1 << 16];
        var y = new byte[1 << 16];
        while (true)
        {
            var n = left.ReadAtLeast(x, x.Length, throwOnEndOfStream: false);
            var m = right.ReadAtLeast(y, y.Length, throwOnEndOfStream: false);
            if (n != m || !x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, m)))
            {
                return false;
            }
            if (n == 0)
            {
                return true;
            }
        }
    }
}
