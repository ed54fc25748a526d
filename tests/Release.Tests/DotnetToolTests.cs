using Drivers.Conformance;
using Xunit;

namespace Release.Tests;

/// <summary>
/// The dotnet tool packages: scripts/pack-tool.sh packs procx and pushx into a local feed, dotnet tool install
/// installs them from it into a tool path, and the installed (framework-dependent) tools run a job.
/// [backend] the real dotnet CLI and a local folder feed.
/// </summary>
public sealed class DotnetToolTests
{
    [Fact]
    public async Task Packed_tools_install_from_a_local_feed_and_run_a_job()
    {
        using var feed = new TempFolder();
        using var tools = new TempFolder();
        var pack = await ToolRunner.RunAsync(Path.Combine(ToolRunner.RepoRoot, "scripts", "pack-tool.sh"), [feed.Path, "1.2.3"], timeout: TimeSpan.FromMinutes(20));
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.True(File.Exists(Path.Combine(feed.Path, "procx.1.2.3.nupkg")), pack.ToString());
        Assert.True(File.Exists(Path.Combine(feed.Path, "pushx.1.2.3.nupkg")), pack.ToString());
        foreach (var tool in new[] { "procx", "pushx" })
        {
            var install = await ToolRunner.RunAsync("dotnet", ["tool", "install", "--tool-path", tools.Path, "--add-source", feed.Path, "--version", "1.2.3", tool], timeout: TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, install.ToString());
        }
        var job = await ToolRunner.RunAsync(Path.Combine(tools.Path, "procx"), ["-driver", "local", "-pass-work-as-stdin", Path.Combine(tools.Path, "pushx"), "-driver", "local"],
            new Dictionary<string, string> { ["PROCX_PAYLOAD"] = "{\"tool\":true}" });
        Assert.True(job.ExitCode == 0, job.ToString());
        Assert.Equal("{\"tool\":true}", job.StdoutText);
        Assert.Contains("job succeeded", job.Stderr);
    }
}
