namespace Drivers.Core.Hosting;

/// <summary>
/// The version, commit and build date, stamped into the build by MSBuild as constants (Directory.Build.targets:
/// <c>git rev-parse --short HEAD</c> and the build's UTC date), never computed at run time: a binary says where
/// it came from even far from the repository.
/// </summary>
public static class BuildInfo
{
    public static string Version => BuildStamp.Version is { Length: > 0 } v ? v : "0.0.0";

    /// <summary>The short commit hash, or <c>unknown</c> when the build had no git.</summary>
    public static string Commit => BuildStamp.Commit is { Length: > 0 } c ? c : "unknown";

    /// <summary>The build's UTC date, yyyy-MM-dd.</summary>
    public static string BuildDate => BuildStamp.BuildDate is { Length: > 0 } d ? d : "unknown";

    /// <summary><c>procx 0.1.0 (commit abc1234, built 2026-12-01)</c></summary>
    public static string VersionLine(string tool) => $"{tool} {Version} (commit {Commit}, built {BuildDate})";
}
