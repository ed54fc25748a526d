using System.Security.Cryptography;
using System.Text;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>Every way procx hands the payload to the child, through the published executable.</summary>
public sealed class PayloadModeTests
{
    private static readonly string[] Sh = ["sh", "-c"];

    [Fact]
    public async Task Env_var_is_the_default()
    {
        using var dir = new WorkFolder();
        dir.Put("job.json", "{\"id\":1}");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job.json"), .. Sh, "printf '%s' \"$PROCX_PAYLOAD\""]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("{\"id\":1}", r.StdoutText);
        Assert.Equal(["job.json"], WorkFolder.Names(dir.Done));
    }

    [Fact]
    public async Task Pass_work_as_arg_appends_the_payload()
    {
        using var dir = new WorkFolder();
        dir.Put("job.json", "hello world");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job.json"), "-pass-work-as-arg", .. Sh, "printf '%s|' \"$@\"; printf '[%s]' \"$PROCX_PAYLOAD\"", "arg0", "first"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("first|hello world|[]", r.StdoutText);
    }

    [Fact]
    public async Task Pass_work_as_stdin_streams_binary_byte_exact()
    {
        using var dir = new WorkFolder();
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(RandomNumberGenerator.GetBytes(4096)).ToArray();
        dir.Put("bin", payload);
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("bin"), "-pass-work-as-stdin", "cat"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(payload, r.Stdout);
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(dir.Done, "bin")));
    }

    [Theory]
    [InlineData("-pass-work-as-stdin")]
    [InlineData("-payload-file")]
    public async Task Twenty_MiB_payload_arrives_intact(string mode)
    {
        using var dir = new WorkFolder();
        var payload = RandomNumberGenerator.GetBytes(20 * 1024 * 1024);
        dir.Put("big", payload);
        var file = Path.Combine(dir.Root, "payload.bin");
        string[] args = mode == "-payload-file"
            ? [.. dir.FsSource("big"), "-payload-file", file, "cat", file]
            : [.. dir.FsSource("big"), "-pass-work-as-stdin", "cat"];
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, args, timeout: TimeSpan.FromMinutes(2));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(r.Stdout));
        Assert.False(File.Exists(file), "the payload file is removed after the job");
    }

    [Fact]
    public async Task Payload_file_is_private_and_kept_on_request()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "secret work");
        var file = Path.Combine(dir.Root, "payload.txt");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-payload-file", file, "-keep-payload-file", .. Sh, $"stat -c %a {file}"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("600", r.StdoutText.Trim());
        Assert.Equal("secret work", File.ReadAllText(file));
    }

    [Fact]
    public async Task Payload_file_with_stdin_delivers_both()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "both ways");
        var file = Path.Combine(dir.Root, "p.txt");
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-payload-file", file, "-pass-work-as-stdin", .. Sh, $"cat; echo; cat {file}"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("both ways\nboth ways", r.StdoutText);
    }

    [Fact]
    public async Task Too_large_for_env_fails_the_work_and_names_the_fix()
    {
        using var dir = new WorkFolder();
        dir.Put("big.json", new string('x', 200 * 1024));
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("big.json"), "true"]);
        Assert.Equal(65, r.ExitCode);
        Assert.Contains("-pass-work-as-stdin", r.Stderr);
        Assert.Contains("-payload-file", r.Stderr);
        Assert.Equal(["big.json"], WorkFolder.Names(dir.Failed)); // failed, not lost
        Assert.Equal(200 * 1024, new FileInfo(Path.Combine(dir.Failed, "big.json")).Length);
    }

    [Fact]
    public async Task Binary_payload_is_refused_for_env_rather_than_altered()
    {
        using var dir = new WorkFolder();
        dir.Put("bin", [0x41, 0x00, 0xff]);
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("bin"), "true"]);
        Assert.Equal(65, r.ExitCode);
        Assert.Equal(["bin"], WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task No_command_prints_the_payload_and_clears()
    {
        using var dir = new WorkFolder();
        var payload = Encoding.UTF8.GetBytes("{\"just\":\"print\"}\n");
        dir.Put("job", payload);
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, dir.FsSource("job"), new Dictionary<string, string> { ["LOG_LEVEL"] = "debug" });
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(payload, r.Stdout);
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
    }
}
