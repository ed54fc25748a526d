using System.Diagnostics;
using System.Security.Cryptography;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>pushx input, output teeing and the fs sink, through the published executable.</summary>
public sealed class PushxTests
{
    [Fact]
    public async Task Stdin_goes_to_the_fs_sink_byte_exact()
    {
        using var dir = new WorkFolder();
        var payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "x.bin"], stdin: payload);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(r.Stdout);
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(dir.Out, "x.bin")));
    }

    [Fact]
    public async Task Key_template_renders_from_the_json_input()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{address.city}}/{{id}}.json", "-out=-"],
            stdin: "{\"id\":42,\"address\":{\"city\":\"paris\"}}"u8.ToArray());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(File.Exists(Path.Combine(dir.Out, "paris", "42.json")));
        Assert.Equal("{\"id\":42,\"address\":{\"city\":\"paris\"}}", r.StdoutText);
    }

    [Fact]
    public async Task Scriban_expressions_render_in_the_aot_build()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{ name | string.downcase }}-{{ id + 1 }}.json"],
            stdin: "{\"id\":41,\"name\":\"ADA\"}"u8.ToArray());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["ada-42.json"], WorkFolder.Names(dir.Out));
    }

    [Fact]
    public async Task Empty_input_is_not_pushed_unless_asked()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "e"], stdin: []);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Empty(WorkFolder.Names(dir.Out));
        var forced = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "e", "-push-empty"], stdin: []);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal(["e"], WorkFolder.Names(dir.Out));
    }

    [Fact]
    public async Task A_key_leaving_the_folder_is_refused()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{p}}"], stdin: "{\"p\":\"../escape\"}"u8.ToArray());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("would leave its folder", r.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.Root, "escape")));
    }

    [Fact]
    public async Task In_wins_over_in_file_and_env_names_of_the_original_work()
    {
        using var dir = new WorkFolder();
        var file = Path.Combine(dir.Root, "input.txt");
        File.WriteAllText(file, "from file");
        var env = new Dictionary<string, string> { ["PUSHX_DRIVER"] = "local", ["PUSHX_INPUT_FILE"] = file };
        var fromFile = await ToolRunner.RunAsync(ToolRunner.Pushx, [], env);
        Assert.Equal("from file", fromFile.StdoutText);
        var fromIn = await ToolRunner.RunAsync(ToolRunner.Pushx, [], new Dictionary<string, string>(env) { ["PUSHX_INPUT_STR"] = "from in" });
        Assert.Equal("from in", fromIn.StdoutText);
        var missing = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "local", "-in-file", Path.Combine(dir.Root, "nope")]);
        Assert.Equal(66, missing.ExitCode);
    }

    [Fact]
    public async Task Out_file_is_written_after_the_push()
    {
        using var dir = new WorkFolder();
        var tee = Path.Combine(dir.Root, "tee.txt");
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "a", "-in", "abc", "-out", tee]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("abc", File.ReadAllText(tee));
    }

    [Fact]
    public async Task A_failed_push_does_not_tee()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "../x", "-out=-"], stdin: "data"u8.ToArray());
        Assert.NotEqual(0, r.ExitCode);
        Assert.Empty(r.Stdout);
    }

    [Fact]
    public async Task Out_dash_chains_two_pushx_calls_with_the_same_bytes()
    {
        using var dir = new WorkFolder();
        var payload = RandomNumberGenerator.GetBytes(1024 * 1024);
        var input = Path.Combine(dir.Root, "in.bin");
        File.WriteAllBytes(input, payload);
        var pipeline = $"'{ToolRunner.Pushx}' -driver fs -fs-folder '{dir.Out}' -fs-key first.bin -out=- < '{input}' | '{ToolRunner.Pushx}' -driver fs -fs-folder '{dir.Out}' -fs-key second.bin -out=-";
        var r = await ToolRunner.RunAsync("bash", ["-o", "pipefail", "-c", pipeline]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(dir.Out, "first.bin")));
        Assert.Equal(payload, File.ReadAllBytes(Path.Combine(dir.Out, "second.bin")));
        Assert.Equal(payload, r.Stdout);
    }

    [Fact]
    public async Task Procx_child_output_pipes_into_pushx()
    {
        // The `procx node app.js | pushx` shape: the child transforms the payload and prints it.
        using var dir = new WorkFolder();
        dir.Put("job.json", "{\"name\":\"ada\"}");
        var pipeline = $"'{ToolRunner.Procx}' -driver fs -fs-folder '{dir.Work}' -fs-key job.json -fs-clear-op rm -pass-work-as-stdin sed 's/ada/ADA/' | '{ToolRunner.Pushx}' -driver fs -fs-folder '{dir.Out}' -fs-key result.json";
        var r = await ToolRunner.RunAsync("bash", ["-o", "pipefail", "-c", pipeline]);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("{\"name\":\"ADA\"}", File.ReadAllText(Path.Combine(dir.Out, "result.json")));
        Assert.Empty(WorkFolder.Names(dir.Work));
    }
}
