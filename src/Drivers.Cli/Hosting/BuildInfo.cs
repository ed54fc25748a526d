using System.Reflection;

namespace Drivers.Core.Hosting;

/// <summary>
/// The version, commit and build date, stamped into the assembly by MSBuild at build time
/// (Directory.Build.targets: <c>git rev-parse --short HEAD</c> and the build's UTC date), never computed at
/// run time: a binary says where it came from even far from the repository.
/// </summary>
public static class BuildInfo
{
    private static readonly Assembly Stamped = typeof(BuildInfo).Assembly;

    public static string Version { get; } =
        Stamped.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The short commit hash, or <c>unknown</c> when the build had no git.</summary>
    public static string Commit { get; } = Metadata("SourceRevision") ?? "unknown";

    /// <summary>The build's UTC date, yyyy-MM-dd.</summary>
    public static string BuildDate { get; } = Metadata("BuildDate") ?? "unknown";

    /// <summary><c>procx 0.1.0 (commit abc1234, built 2026-12-01)</c></summary>
    public static string VersionLine(string tool) => $"{tool} {Version} (commit {Commit}, built {BuildDate})";

    private static string? Metadata(string key) =>
        Stamped.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value is { Length: > 0 } value ? value : null;
}
