using Drivers.Core;

namespace Drivers.FileSystem;

/// <summary>Joins a folder and a key, refusing keys (or rendered templates) that would leave the folder.</summary>
internal static class SafePath
{
    public static string Combine(string folder, string key, string settingName)
    {
        if (key.Length == 0)
        {
            throw new CliException($"-{settingName}: the key is empty", ExitCodes.Config);
        }
        if (Path.IsPathRooted(key) || key.Replace('\\', '/').Split('/').Any(segment => segment == ".."))
        {
            throw new CliException($"-{settingName}: key '{key}' would leave its folder (absolute path or '..')", ExitCodes.Config);
        }
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, key));
        var rootWithSlash = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSlash, StringComparison.Ordinal))
        {
            throw new CliException($"-{settingName}: key '{key}' would leave its folder", ExitCodes.Config);
        }
        return full;
    }
}
