using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// Issue 12's command line through the published executables: --version/-v, the short usage of a bare
/// procx, --list-drivers' capability columns, help's EXAMPLES and width, and bash completion in a real bash.
/// </summary>
public sealed class CliShapeTests
{
    // COLUMNS set to empty: the tools must fall back to 80 (their stdout is a pipe here), whatever the runner exports.
    private static readonly Dictionary<string, string> NoColumns = new() { ["COLUMNS"] = "" };

    [Theory]
    [InlineData("procx", "--version")]
    [InlineData("procx", "-v")]
    [InlineData("pushx", "--version")]
    [InlineData("pushx", "-v")]
    public async Task Version_prints_version_commit_and_build_date(string tool, string flag)
    {
        var r = await ToolRunner.RunAsync(Path.Combine(ToolRunner.BinDir, tool), [flag]);
        Assert.True(r.ExitCode == 0, r.ToString());
        // Built from a git checkout, so the commit is a real short hash, not "unknown".
        Assert.Matches($@"^{tool} \d+\.\d+\.\d+\S* \(commit [0-9a-f]{{7,}}, built \d{{4}}-\d{{2}}-\d{{2}}\)\n$", r.StdoutText);
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("procx", "Usage: procx [options] [--] [command [args...]]")]
    [InlineData("pushx", "Usage: pushx [options]")]
    public async Task No_arguments_and_no_driver_print_a_short_usage_to_stderr_and_exit_64(string tool, string usageLine)
    {
        var r = await ToolRunner.RunAsync(Path.Combine(ToolRunner.BinDir, tool), [], NoColumns, stdin: []);
        Assert.Equal(64, r.ExitCode);
        Assert.Equal("", r.StdoutText);
        Assert.StartsWith(usageLine + "\n", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("--list-drivers", r.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{tool} --help", r.Stderr, StringComparison.Ordinal);
        Assert.True(r.Stderr.Split('\n').Length < 8, "the short usage is short: " + r.Stderr);
    }

    [Fact]
    public async Task List_drivers_shows_guarantee_lease_batch_and_dead_letter_per_source()
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["--list-drivers"], new Dictionary<string, string> { ["COLUMNS"] = "200" });
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.StdoutText.Split('\n');
        Assert.Matches(@"^  NAME +GUARANTEE +LEASE +BATCH +DEAD-LETTER +SUMMARY$", lines[0]);
        string Row(string name) => lines.Single(l => l.StartsWith($"  {name} ", StringComparison.Ordinal));
        Assert.Matches(@"^  local +none +- +- +- +\S", Row("local"));
        Assert.Matches(@"^  redis-pubsub +at-most-once +- +- +- +\S", Row("redis-pubsub"));
        Assert.Matches(@"^  redis-list +at-least-once +- +- +yes +\S", Row("redis-list"));
        Assert.Matches(@"^  redis-stream +at-least-once +yes +- +yes +\S", Row("redis-stream"));
        Assert.Matches(@"^  aws-sqs +at-least-once +yes +yes +- +\S", Row("aws-sqs"));
        Assert.Matches(@"^  fs +at-least-once +- +yes +- +\S", Row("fs"));
        Assert.Matches(@"^  postgres +at-least-once +- +- +- +\S", Row("postgres"));

        var sinks = await ToolRunner.RunAsync(ToolRunner.Pushx, ["--list-drivers"], new Dictionary<string, string> { ["COLUMNS"] = "200" });
        Assert.Matches(@"^  NAME +SUMMARY\n", sinks.StdoutText);
        Assert.Contains("\n  redis-list ", sinks.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_has_the_usage_line_and_examples_of_the_tool_and_of_the_driver()
    {
        var help = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help"], NoColumns);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.StartsWith("Usage: procx [options] [--] [command [args...]]\n", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("\nEXAMPLES\n", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("      procx --list-drivers\n", help.StdoutText, StringComparison.Ordinal);

        var driver = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "redis-list"], NoColumns);
        var examples = driver.StdoutText[driver.StdoutText.IndexOf("\nEXAMPLES\n", StringComparison.Ordinal)..];
        Assert.Contains("      procx -driver redis-list ", examples, StringComparison.Ordinal);
        Assert.Contains("Delivery: at-least-once;", driver.StdoutText, StringComparison.Ordinal);

        var sink = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-h", "-driver", "fs"], NoColumns);
        Assert.StartsWith("Usage: pushx [options]\n", sink.StdoutText, StringComparison.Ordinal);
        Assert.Contains("\nEXAMPLES\n", sink.StdoutText, StringComparison.Ordinal);
        Assert.Contains("      pushx -driver fs ", sink.StdoutText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 80)] // a pipe and no COLUMNS: 80
    [InlineData("60", 60)]
    [InlineData("132", 132)]
    public async Task Help_is_wrapped_to_COLUMNS_or_80(string columns, int width)
    {
        var r = await ToolRunner.RunAsync(ToolRunner.Procx, ["--help", "-driver", "aws-sqs"], new Dictionary<string, string> { ["COLUMNS"] = columns });
        var lines = r.StdoutText.Split('\n');
        // Example command lines are printed whole so that they can be copied; everything else fits.
        var prose = lines.Where(l => !l.StartsWith("      procx ", StringComparison.Ordinal)).ToList();
        Assert.All(prose, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.Contains(prose, l => l.Length > width - 12); // and it uses the width it has
    }

    [Fact]
    public async Task Bash_completion_completes_flags_driver_names_and_choices()
    {
        // A real bash: load the script the way a user does, then call the registered function as readline would.
        var script = """
            set -e
            source <("$PROCX" --completion bash)
            source <("$PUSHX" --completion bash)
            complete -p procx
            complete -p pushx
            t() {
                local fn=$1; shift
                COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
                "$fn"
                printf '%s|' "${COMPREPLY[@]}"; echo
            }
            t _procx_completion procx -fs-clear-
            t _procx_completion procx --fs-clear-o
            t _procx_completion procx -fs-clear-op ''
            t _procx_completion procx --fs-clear-op = r
            t _procx_completion procx -driver redis-
            t _procx_completion procx --driver=loc
            t _procx_completion procx -driver fs --dae
            t _procx_completion procx --completion ''
            t _pushx_completion pushx -driver fs -in-f
            t _pushx_completion pushx --driver aws-
            """;
        var env = new Dictionary<string, string> { ["PROCX"] = ToolRunner.Procx, ["PUSHX"] = ToolRunner.Pushx };
        var r = await ToolRunner.RunAsync("bash", ["-c", script], env);
        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.StdoutText.Split('\n');
        Assert.Equal("complete -o default -F _procx_completion procx", lines[0]);
        Assert.Equal("complete -o default -F _pushx_completion pushx", lines[1]);
        Assert.Equal(Sorted("-fs-clear-op|-fs-clear-folder|-fs-clear-key|-fs-clear-key-template|"), Sorted(lines[2]));
        Assert.Equal("--fs-clear-op|", lines[3]);
        Assert.Equal("mv|rm|", lines[4]);
        Assert.Equal("rm|", lines[5]);
        Assert.Equal("redis-list|redis-pubsub|redis-stream|", lines[6]);
        Assert.Equal("--driver=local|", lines[7]);
        Assert.Equal("--daemon|--daemon-interval|", lines[8]);
        Assert.Equal("bash|zsh|fish|", lines[9]);
        Assert.Equal("-in-file|", lines[10]);
        Assert.Equal("aws-dynamo|aws-s3|aws-sqs|", lines[11]);
    }

    private static string Sorted(string candidates) => string.Join("|", candidates.Split('|', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
}
