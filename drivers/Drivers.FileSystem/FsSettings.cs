using Drivers.Core.Disposition;
using Drivers.Core.Settings;

namespace Drivers.FileSystem;

/// <summary>Every flag and env var of the fs driver, declared once.</summary>
internal static class FsSettings
{
    public static readonly Setting Folder = new("fs-folder", "Folder that holds the work (procx) or receives the input (pushx)") { Required = true };

    public static readonly Setting Key = new("fs-key", "File to take, relative to -fs-folder (procx); file name to write, a template such as out/{{id}}.json (pushx; default: a unique name)");

    public static readonly Setting KeyPrefix = new("fs-key-prefix", "Take the first file, in name order, whose name starts with this prefix");

    public static readonly Setting KeyRegex = new("fs-key-regex", "Take the first file, in name order, whose name matches this regular expression");

    public static readonly DispositionSettings Clear = new("fs", "clear", "folder");

    public static readonly DispositionSettings Fail = new("fs", "fail", "folder");

    public static IReadOnlyList<Setting> Source { get; } = [Folder, Key, KeyPrefix, KeyRegex, .. Clear.All, .. Fail.All];

    public static IReadOnlyList<Setting> Sink { get; } = [Folder, Key];
}
