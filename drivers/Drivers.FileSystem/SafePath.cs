using Drivers.Core.Contracts;
using Drivers.Core;

namespace Drivers.FileSystem;

/// <summary>Joins a folder and a key, refusing keys (or rendered templates) that would leave the folder.</summary>
internal static class SafePath
{
    public static string Combine(string folder, string key, string settingName)
    {
        if (key.Length == 0)
        {
            throw DriverException.Configuration($"-{settingName}: the key is empty");
        }
        if (Path.IsPathRooted(key) || key.Replace('\\', '/').Split('/').Any(segment => segment == ".."))
        {
            throw DriverException.Configuration($"-{settingName}: key '{key}' would leave its folder (absolute path or '..')");
        }
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, key));
        var rootWithSlash = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSlash, StringComparison.Ordinal))
        {
            throw DriverException.Configuration($"-{settingName}: key '{key}' would leave its folder");
        }
        return full;
    }
}
