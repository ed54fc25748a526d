using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>The child sees the host environment minus procx's own PROCX_* settings, plus PROCX_PAYLOAD, PROCX_JOB_ID and PROCX_ATTEMPT.</summary>
public sealed class ChildEnvironmentTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["PROCX_PAYLOAD"] = "work",
        ["PROCX_SECRET_THING"] = "procx-credential",
        ["PUSHX_DRIVER"] = "local",
        ["OTHER_VAR"] = "kept",
    };

    [Fact]
    public async Task Procx_settings_stay_with_procx_while_pushx_settings_reach_the_child()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "sh", "-c", "env | grep -E '^(PROCX|PUSHX|OTHER)_' | sort"], Env);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("OTHER_VAR=kept\nPROCX_ATTEMPT=1\nPROCX_JOB_ID=local\nPROCX_PAYLOAD=work\nPUSHX_DRIVER=local\n", r.StdoutText);
    }

    [Fact]
    public async Task Hostenv_passes_everything()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["-driver", "local", "-hostenv", "sh", "-c", "echo $PROCX_SECRET_THING"], Env);
        Assert.Equal("procx-credential\n", r.StdoutText);
    }

    [Fact]
    public async Task Local_driver_runs_its_payload_once_even_as_a_daemon()
    {
        using var dir = new WorkFolder();
        var log = Path.Combine(dir.Root, "runs");
        using var procx = ToolRunner.Start(ToolRunner.Procx, ["-driver", "local", "-daemon", "-daemon-interval", "50", "sh", "-c", $"echo run >> {log}"], Env);
        await ClearAndFailTests.WaitUntil(() => File.Exists(log));
        await Task.Delay(500, TestContext.Current.CancellationToken); // ten more empty polls
        procx.Kill();
        Assert.Equal(["run"], File.ReadAllLines(log));
    }

    [Fact]
    public async Task Procx_pushx_bridge_hands_the_payload_over_stdin()
    {
        using var dir = new WorkFolder();
        dir.Put("job.json", "{\"bridge\":true}");
        var env = new Dictionary<string, string>
        {
            ["PROCX_DRIVER"] = "fs", ["PROCX_FS_FOLDER"] = dir.Work, ["PROCX_FS_KEY"] = "job.json", ["PROCX_FS_CLEAR_OP"] = "rm",
            ["PROCX_PASS_WORK_AS_STDIN"] = "true",
            ["PUSHX_DRIVER"] = "fs", ["PUSHX_FS_FOLDER"] = dir.Out, ["PUSHX_FS_KEY"] = "copy.json",
        };
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [ToolRunner.Pushx], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("{\"bridge\":true}", File.ReadAllText(Path.Combine(dir.Out, "copy.json")));
        Assert.Empty(WorkFolder.Names(dir.Work));
    }
}
