using System.Text;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// pushx -lines through the published executable with the fs sink: one message per line as lines arrive,
/// a binary-safe -delimiter, -out holding exactly the lines pushed, and a failing line named by number
/// with the lines after it left unpushed.
/// </summary>
public sealed class LinesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_json_line_is_its_own_message_and_out_gets_the_pushed_lines()
    {
        using var dir = new WorkFolder();
        var tee = Path.Combine(dir.Root, "tee");

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}.json", "-out", tee],
            stdin: "{\"id\":1}\n{\"id\":2}\n\n{\"id\":3}"u8.ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["1.json", "2.json", "3.json"], WorkFolder.Names(dir.Out));
        Assert.Equal("{\"id\":2}", await File.ReadAllTextAsync(Path.Combine(dir.Out, "2.json"), Ct));
        Assert.Equal("{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n", await File.ReadAllTextAsync(tee, Ct)); // the empty line was not pushed
    }

    [Fact]
    public async Task A_nul_delimiter_carries_binary_records_byte_exact()
    {
        using var dir = new WorkFolder();
        byte[][] records = [[0xff, (byte)'\n', 0x01], [(byte)'a', (byte)'\r', (byte)'\n'], [0x80, 0x7f]];
        var input = records.SelectMany(rec => rec.Append((byte)0)).ToArray();

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-driver", "fs", "-fs-folder", dir.Out], stdin: input);

        Assert.True(r.ExitCode == 0, r.ToString());
        var stored = WorkFolder.Names(dir.Out).Select(n => Convert.ToHexString(File.ReadAllBytes(Path.Combine(dir.Out, n)))).Order(StringComparer.Ordinal);
        Assert.Equal(records.Select(Convert.ToHexString).Order(StringComparer.Ordinal), stored);
    }

    [Fact]
    public async Task A_line_that_cannot_be_pushed_is_named_and_the_rest_are_not_pushed()
    {
        using var dir = new WorkFolder();
        var tee = Path.Combine(dir.Root, "tee");

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}.json", "-out", tee],
            stdin: "{\"id\":1}\nnot json\n{\"id\":3}\n"u8.ToArray());

        Assert.True(r.ExitCode == 65, r.ToString());
        Assert.Contains("line 2 was not pushed", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("the 1 lines before it were", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(["1.json"], WorkFolder.Names(dir.Out));
        Assert.Equal("{\"id\":1}\n", await File.ReadAllTextAsync(tee, Ct));
    }

    [Fact]
    public async Task A_line_is_pushed_as_soon_as_it_arrives_while_the_input_stays_open()
    {
        using var dir = new WorkFolder();
        using var pushx = ToolRunner.Start(ToolRunner.Pushx, ["-lines", "-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{id}}.json"]);

        await pushx.StandardInput.WriteAsync("{\"id\":1}\n");
        await pushx.StandardInput.FlushAsync(Ct);
        await ClearAndFailTests.WaitUntil(() => WorkFolder.Names(dir.Out).Contains("1.json"));
        Assert.False(pushx.HasExited);
        await pushx.StandardInput.WriteAsync("{\"id\":2}\n");
        pushx.StandardInput.Close();
        await pushx.WaitForExitAsync(Ct).WaitAsync(TimeSpan.FromSeconds(30), Ct);

        Assert.Equal(0, pushx.ExitCode);
        Assert.Equal(["1.json", "2.json"], WorkFolder.Names(dir.Out));
    }

    [Fact]
    public async Task A_delimiter_that_is_not_one_byte_is_refused_naming_the_setting()
    {
        using var dir = new WorkFolder();
        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "ab", "-driver", "fs", "-fs-folder", dir.Out], stdin: Encoding.ASCII.GetBytes("x\n"));
        Assert.True(r.ExitCode == 78, r.ToString());
        Assert.Contains("-delimiter", r.Stderr, StringComparison.Ordinal);
        Assert.Empty(WorkFolder.Names(dir.Out));
    }
}
