using Drivers.Conformance;
using Xunit;

namespace Release.Tests;

/// <summary>
/// install.sh end to end: the archive scripts/package.sh built, served from a folder (file://) and from a loopback
/// HTTP server, installed into a temporary PREFIX; then the installed tools run a job.
/// [backend] the real install.sh under /bin/sh, python3 -m http.server on 127.0.0.1, the published executables.
/// </summary>
public sealed class InstallScriptTests(ReleaseFolder release) : IClassFixture<ReleaseFolder>
{
    private const int Installed = 0;
    private const int UnsupportedPlatform = 3;
    private const int ChecksumMismatch = 4;

    private static string InstallScript => Path.Combine(ToolRunner.RepoRoot, "install.sh");

    [Fact]
    public void The_archive_holds_both_tools_license_and_readme_and_SHA256SUMS_verifies_it()
    {
        var listing = Run("tar", ["-tzf", Path.Combine(release.Packaged, ReleaseFolder.ArchiveName)]);
        Assert.Equal(["LICENSE", "README.md", "procx", "pushx"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        var check = Run("sh", ["-c", $"cd '{release.Packaged}' && sha256sum -c SHA256SUMS"]);
        Assert.Contains($"{ReleaseFolder.ArchiveName}: OK", check);
        Assert.Equal(ReleaseFolder.Version, File.ReadAllText(Path.Combine(release.Packaged, "VERSION")).Trim());
    }

    [Fact]
    public async Task The_latest_release_from_a_file_url_installs_tools_that_run_jobs()
    {
        using var prefix = new TempFolder();
        var r = await Install([], "file://" + release.Root, prefix.Path);
        Assert.True(r.ExitCode == Installed, r.ToString());
        Assert.Contains($"installing procx {ReleaseFolder.Version} (linux/{ReleaseFolder.Arch})", r.Stderr);
        await AssertInstalledToolsWork(prefix.Path);
    }

    [Fact]
    public async Task A_named_version_from_a_loopback_http_server_installs_tools_that_run_jobs()
    {
        await using var server = await LoopbackHttpServer.StartAsync(release.Root);
        using var prefix = new TempFolder();
        var r = await Install(["v" + ReleaseFolder.Version], server.Url, prefix.Path);
        Assert.True(r.ExitCode == Installed, r.ToString());
        Assert.Contains(server.Url + "/download/v" + ReleaseFolder.Version, r.Stderr);
        await AssertInstalledToolsWork(prefix.Path);
    }

    [Fact]
    public async Task A_tampered_archive_is_refused_with_exit_4_and_nothing_is_installed()
    {
        var tree = release.CloneTree();
        try
        {
            var archive = Path.Combine(tree, "download", "v" + ReleaseFolder.Version, ReleaseFolder.ArchiveName);
            var bytes = File.ReadAllBytes(archive);
            bytes[bytes.Length / 2] ^= 0x01;
            File.WriteAllBytes(archive, bytes);
            await using var server = await LoopbackHttpServer.StartAsync(tree);
            using var prefix = new TempFolder();
            var r = await Install([ReleaseFolder.Version], server.Url, prefix.Path);
            Assert.True(r.ExitCode == ChecksumMismatch, r.ToString());
            Assert.Contains($"checksum mismatch for {ReleaseFolder.ArchiveName}", r.Stderr);
            Assert.False(File.Exists(Path.Combine(prefix.Path, "bin", "procx")), "procx was installed from a tampered archive");
            Assert.False(File.Exists(Path.Combine(prefix.Path, "bin", "pushx")), "pushx was installed from a tampered archive");
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public async Task An_unsupported_architecture_is_refused_with_exit_3_naming_it()
    {
        using var shim = new TempFolder();
        // uname -m says riscv64; everything else is the real uname.
        var uname = Path.Combine(shim.Path, "uname");
        File.WriteAllText(uname, "#!/bin/sh\n[ \"$1\" = -m ] && { echo riscv64; exit 0; }\nexec /bin/uname \"$@\"\n");
        Run("chmod", ["755", uname]);
        using var prefix = new TempFolder();
        var r = await Install([], "file://" + release.Root, prefix.Path, path: shim.Path + ":" + Environment.GetEnvironmentVariable("PATH"));
        Assert.True(r.ExitCode == UnsupportedPlatform, r.ToString());
        Assert.Contains("unsupported architecture 'riscv64'", r.Stderr);
        Assert.False(Directory.Exists(Path.Combine(prefix.Path, "bin")));
    }

    [Fact]
    public async Task A_release_without_a_build_for_this_platform_is_refused_with_exit_3_listing_what_it_has()
    {
        var tree = release.CloneTree();
        try
        {
            var sums = Path.Combine(tree, "download", "v" + ReleaseFolder.Version, "SHA256SUMS");
            File.WriteAllText(sums, File.ReadAllText(sums).Replace("_linux_", "_darwin_", StringComparison.Ordinal));
            using var prefix = new TempFolder();
            var r = await Install([ReleaseFolder.Version], "file://" + tree, prefix.Path);
            Assert.True(r.ExitCode == UnsupportedPlatform, r.ToString());
            Assert.Contains($"has no build for linux/{ReleaseFolder.Arch} (it has: darwin_{ReleaseFolder.Arch}", r.Stderr);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    private static async Task AssertInstalledToolsWork(string prefix)
    {
        var procx = Path.Combine(prefix, "bin", "procx");
        var pushx = Path.Combine(prefix, "bin", "pushx");
        var job = await ToolRunner.RunAsync(procx, ["-driver", "local", "-pass-work-as-stdin", "cat"],
            new Dictionary<string, string> { ["PROCX_PAYLOAD"] = "{\"job\":1}" });
        Assert.True(job.ExitCode == 0, job.ToString());
        Assert.Equal("{\"job\":1}", job.StdoutText);
        var push = await ToolRunner.RunAsync(pushx, ["-driver", "local"], stdin: "{\"pushed\":true}"u8.ToArray());
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Equal("{\"pushed\":true}", push.StdoutText.TrimEnd('\n'));
    }

    private static Task<ToolResult> Install(string[] args, string baseUrl, string prefix, string? path = null)
    {
        var env = new Dictionary<string, string> { ["PROCX_INSTALL_BASE_URL"] = baseUrl, ["PREFIX"] = prefix };
        if (path is not null)
        {
            env["PATH"] = path;
        }
        return ToolRunner.RunAsync("/bin/sh", [InstallScript, .. args], env, timeout: TimeSpan.FromMinutes(2));
    }

    private static string Run(string program, string[] args)
    {
        var r = ToolRunner.RunAsync(program, args).GetAwaiter().GetResult();
        Assert.True(r.ExitCode == 0, r.ToString());
        return r.StdoutText;
    }
}

/// <summary>A temporary folder removed with the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("procx-release-test-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
