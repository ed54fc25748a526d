using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.FileSystem;

/// <summary>
/// Joins a folder and a key without ever leaving the folder: no absolute key, no <c>..</c>, and no symbolic
/// link anywhere below the folder. The folder itself may be a link (the operator chose it); what is inside it
/// may have been written by anyone who can drop work there, so a link in there is never followed. .NET has no
/// O_NOFOLLOW: components are checked just before use, and new files are created with O_EXCL (which never
/// follows a link), so what is left is a race with someone swapping a folder for a link in that instant.
/// </summary>
internal static class SafePath
{
    /// <summary>The full path of <paramref name="key"/> under <paramref name="folder"/>, checked lexically.</summary>
    public static string Combine(string folder, string key, SettingValues settings, Setting setting)
    {
        if (key.Length == 0)
        {
            throw settings.Invalid(setting, "the key is empty");
        }
        if (LeavesLexically(key))
        {
            throw settings.Invalid(setting, $"key '{ErrorText.OneLine(key)}' would leave its folder (absolute path or '..')");
        }
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, key));
        if (!full.StartsWith(WithSlash(root), StringComparison.Ordinal))
        {
            throw settings.Invalid(setting, $"key '{ErrorText.OneLine(key)}' would leave its folder");
        }
        return full;
    }

    /// <summary>
    /// A template whose literal text already leaves the folder (<c>/abs/{{key}}</c>, <c>../{{key}}</c>), or
    /// whose literal folder (<c>sub/</c> of <c>sub/{{key}}</c>) is a link, is refused at start-up, before any
    /// child runs; what a field renders to is checked per item.
    /// </summary>
    public static void CheckTemplateText(string folder, string text, SettingValues settings, Setting setting)
    {
        if (LeavesLexically(text))
        {
            throw settings.Invalid(setting, $"'{ErrorText.OneLine(text)}' would leave its folder (absolute path or '..')");
        }
        var expression = text.IndexOf("{{", StringComparison.Ordinal);
        var literal = expression < 0 ? text : text[..expression];
        var slash = literal.LastIndexOf('/');
        if (slash > 0)
        {
            var root = Path.GetFullPath(folder);
            if (FirstLink(root, Path.GetFullPath(Path.Combine(root, literal[..slash])), includeLast: true) is { } link)
            {
                throw LinkRefused(link, settings, setting);
            }
        }
    }

    /// <summary>
    /// The first path below <paramref name="root"/> on the way to <paramref name="full"/> that is a symbolic
    /// link (the last component only when <paramref name="includeLast"/>), or null.
    /// </summary>
    public static string? FirstLink(string root, string full, bool includeLast)
    {
        var parts = Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        for (var i = 0; i < parts.Length - (includeLast ? 0 : 1); i++)
        {
            current = Path.Combine(current, parts[i]);
            if (IsLink(current))
            {
                return current;
            }
        }
        return null;
    }

    /// <summary>
    /// Creates the folders from <paramref name="root"/> (which must exist, or is created as given) down to
    /// <paramref name="directory"/> one at a time, refusing any that is a link: Directory.CreateDirectory
    /// would follow a planted link and create (and later write) outside.
    /// </summary>
    public static void CreateFolders(string root, string directory, SettingValues settings, Setting setting)
    {
        Directory.CreateDirectory(root);
        var parts = Path.GetRelativePath(root, directory).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        var current = root;
        foreach (var part in parts.Where(p => p != "."))
        {
            current = Path.Combine(current, part);
            if (IsLink(current))
            {
                throw LinkRefused(current, settings, setting);
            }
            Directory.CreateDirectory(current);
        }
    }

    public static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    public static Core.Contracts.DriverException LinkRefused(string path, SettingValues settings, Setting setting) =>
        settings.Invalid(setting, $"'{ErrorText.OneLine(path)}' is a symbolic link; links inside the folder are never followed");

    private static bool LeavesLexically(string key) =>
        Path.IsPathRooted(key) || key.Replace('\\', '/').Split('/').Any(segment => segment == "..");

    private static string WithSlash(string root) => root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
}
