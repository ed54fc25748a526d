using Drivers.Conformance;
using Xunit;

namespace Release.Tests;

/// <summary>
/// A release as GitHub serves it, built once per test run by scripts/package.sh from the published executables
/// ($PROCX_BIN_DIR): &lt;root&gt;/download/v&lt;version&gt;/ and &lt;root&gt;/latest/download/, each holding the
/// archive, SHA256SUMS and VERSION.
/// </summary>
public sealed class ReleaseFolder : IAsyncLifetime
{
    public const string Version = "1.2.3";

    public string Root { get; } = Directory.CreateTempSubdirectory("procx-release-").FullName;

    public string Packaged => Path.Combine(Root, "packaged");

    public string Tagged => Path.Combine(Root, "download", "v" + Version);

    public static string ArchiveName => $"procx_{Version}_linux_{Arch}.tar.gz";

    public static string Arch => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        _ => "amd64",
    };

    public async ValueTask InitializeAsync()
    {
        var packaged = await ToolRunner.RunAsync(
            Path.Combine(ToolRunner.RepoRoot, "scripts", "package.sh"), [Version],
            new Dictionary<string, string> { ["PROCX_PREBUILT_BIN"] = ToolRunner.BinDir, ["PROCX_RELEASE_DIR"] = Packaged },
            timeout: TimeSpan.FromMinutes(2));
        if (packaged.ExitCode != 0)
        {
            throw new InvalidOperationException("scripts/package.sh failed: " + packaged);
        }
        CopyTo(Tagged);
        CopyTo(Path.Combine(Root, "latest", "download"));
    }

    /// <summary>A copy of the whole release tree, for a test that alters it.</summary>
    public string CloneTree()
    {
        var clone = Directory.CreateTempSubdirectory("procx-release-copy-").FullName;
        foreach (var file in Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories).Where(f => !f.StartsWith(Packaged + "/", StringComparison.Ordinal)))
        {
            var target = Path.Combine(clone, Path.GetRelativePath(Root, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return clone;
    }

    private void CopyTo(string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(Packaged))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        }
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
