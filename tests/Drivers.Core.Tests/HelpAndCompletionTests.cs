using Drivers.Core.Cli;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Help, the driver list and the completion scripts come from the declarations, not from lists kept by hand.</summary>
public sealed class HelpAndCompletionTests
{
    private static readonly Setting Driver = new("driver", "The source driver");
    private static readonly Setting Daemon = new("daemon", "Keep going") { Type = SettingType.Bool };
    private static readonly Setting ClearOp = new("fs-clear-op", "What to do on clear") { Choices = ["mv", "rm"] };
    private static readonly Setting Folder = new("fs-folder", "Folder") { Required = true };
    private static readonly Setting Channel = new("redis-key", "Channel; it's the key") { Aliases = ["redis-channel"] };

    private static readonly ToolDefinition Tool = new("procx", "PROCX", "procx runs a command per unit of work.", Driver, [Driver, Daemon],
        [
            new DriverInfo("fs", "Files in a folder", [Folder, ClearOp])
            {
                Capabilities = SourceCapabilities.Of<BatchSource>(DeliveryGuarantee.AtLeastOnce, "Stays in the folder."),
                Examples = [new("Handle each file", "procx -driver fs -fs-folder ./in ./handle.sh")],
            },
            new DriverInfo("redis-pubsub", "Messages on a channel", [Channel])
            {
                Capabilities = SourceCapabilities.Of<PlainSource>(DeliveryGuarantee.AtMostOnce, "Gone."),
            },
        ], TakesCommand: true)
    {
        Examples = [new("Run once", "procx -driver fs -fs-folder ./in true")],
    };

    [Fact]
    public void Capabilities_are_read_off_the_interfaces_the_source_type_implements()
    {
        var leasedBatchDead = SourceCapabilities.Of<LeasedBatchDeadLetterSource>(DeliveryGuarantee.AtLeastOnce, "");
        Assert.True(leasedBatchDead.Leases && leasedBatchDead.Batches && leasedBatchDead.DeadLetters);
        var plain = SourceCapabilities.Of<PlainSource>(DeliveryGuarantee.AtMostOnce, "");
        Assert.False(plain.Leases || plain.Batches || plain.DeadLetters);
        Assert.Equal("at-most-once", plain.GuaranteeName);
        Assert.Equal("none", (plain with { Guarantee = DeliveryGuarantee.None }).GuaranteeName);
        Assert.Equal("at-least-once", leasedBatchDead.GuaranteeName);
    }

    [Fact]
    public void Help_starts_with_a_usage_line_that_puts_options_before_the_command()
    {
        var help = Render(w => HelpText.WriteHelp(Tool, null, w, 80));
        Assert.StartsWith("Usage: procx [options] [--] [command [args...]]\n", help, StringComparison.Ordinal);
        Assert.Contains("\nEXAMPLES\n  Run once:\n      procx -driver fs -fs-folder ./in true\n", help, StringComparison.Ordinal);
        Assert.Contains("\nDRIVERS", help, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(50)]
    [InlineData(80)]
    [InlineData(120)]
    public void Help_is_wrapped_to_the_width_except_example_command_lines(int width)
    {
        var help = Render(w => HelpText.WriteHelp(Tool, Tool.Drivers[0], w, width));
        var lines = help.Split('\n');
        Assert.All(lines.Where(l => !l.TrimStart().StartsWith("procx -driver", StringComparison.Ordinal)), l => Assert.True(l.Length <= width, $"'{l}' is wider than {width}"));
        Assert.Contains("  -fs-clear-op mv|rm", lines);
        var flat = string.Join(" ", lines.Select(l => l.Trim()));
        Assert.Contains("Delivery: at-least-once; leases: -; batches: yes; dead-letters: -. Stays in the folder.", flat, StringComparison.Ordinal);
        Assert.Contains("      procx -driver fs -fs-folder ./in ./handle.sh", lines);
    }

    [Fact]
    public void Driver_list_has_a_column_per_capability()
    {
        var lines = Render(w => HelpText.WriteDriverList(Tool, w, 120)).Split('\n');
        Assert.Matches(@"^  NAME +GUARANTEE +LEASE +BATCH +DEAD-LETTER +SUMMARY$", lines[0]);
        Assert.Matches(@"^  fs +at-least-once +- +yes +- +Files in a folder$", lines[1]);
        Assert.Matches(@"^  redis-pubsub +at-most-once +- +- +- +Messages on a channel$", lines[2]);
    }

    [Fact]
    public void Short_usage_names_the_synopsis_and_where_to_look_next()
    {
        var usage = Render(w => HelpText.WriteShortUsage(Tool, w, 80));
        Assert.StartsWith("Usage: procx [options] [--] [command [args...]]\n", usage, StringComparison.Ordinal);
        Assert.Contains("PROCX_DRIVER", usage, StringComparison.Ordinal);
        Assert.Contains("procx --help", usage, StringComparison.Ordinal);
    }

    [Fact]
    public void Completion_flags_come_from_every_setting_in_both_dash_forms_plus_the_meta_options()
    {
        var words = CompletionScript.Flags(Tool).SelectMany(CompletionScript.Spellings).ToList();
        foreach (var flag in new[] { "driver", "daemon", "fs-folder", "fs-clear-op", "redis-key", "redis-channel", "help", "version", "list-drivers", "completion" })
        {
            Assert.Contains("-" + flag, words);
            Assert.Contains("--" + flag, words);
        }
        Assert.Contains("-h", words);
        Assert.Contains("-v", words);
        Assert.DoesNotContain("--v", words);
        Assert.Equal(words.Count, words.Distinct().Count());
    }

    [Fact]
    public void Completion_values_are_the_declared_choices_and_the_driver_names()
    {
        var flags = CompletionScript.Flags(Tool);
        Assert.Equal(["fs", "redis-pubsub"], flags.Single(f => f.Names.Contains("driver")).Choices);
        Assert.Equal(["mv", "rm"], flags.Single(f => f.Names.Contains("fs-clear-op")).Choices);
        Assert.Equal(["bash", "zsh", "fish"], flags.Single(f => f.Names.Contains("completion")).Choices);
        Assert.False(flags.Single(f => f.Names.Contains("daemon")).TakesValue);
        Assert.True(flags.Single(f => f.Names.Contains("fs-folder")).TakesValue);

        var bash = CompletionScript.Generate(Tool, "bash");
        Assert.Contains("-fs-clear-op|--fs-clear-op) printf '%s\\n' 'mv' 'rm' ;;", bash, StringComparison.Ordinal);
        Assert.Contains("-driver|--driver) printf '%s\\n' 'fs' 'redis-pubsub' ;;", bash, StringComparison.Ordinal);
        Assert.Contains("complete -o default -F _procx_completion procx", bash, StringComparison.Ordinal);

        var fish = CompletionScript.Generate(Tool, "fish");
        Assert.Contains("complete -c procx -o fs-clear-op -l fs-clear-op -x -a 'mv rm' -d 'What to do on clear'", fish, StringComparison.Ordinal);
        Assert.Contains("complete -c procx -o daemon -l daemon -d 'Keep going'", fish, StringComparison.Ordinal);
        Assert.Contains("-o redis-key -l redis-key -o redis-channel -l redis-channel -r -d 'Channel'", fish, StringComparison.Ordinal);

        Assert.Contains("bashcompinit", CompletionScript.Generate(Tool, "zsh"), StringComparison.Ordinal);
    }

    [Fact]
    public void Completion_of_an_unknown_shell_is_a_usage_error()
    {
        var e = Assert.Throws<CliException>(() => CliParser.Parse(Tool, ["--completion", "tcsh"], new Dictionary<string, string>()));
        Assert.Equal(64, e.ExitCode);
        Assert.Contains("bash, zsh, fish", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("--version")]
    [InlineData("-version")]
    public void Dash_v_asks_for_the_version_as_in_the_originals(string flag) =>
        Assert.Equal(CliAction.Version, CliParser.Parse(Tool, [flag], new Dictionary<string, string>()).Action);

    [Fact]
    public void No_arguments_and_no_driver_asks_for_the_short_usage()
    {
        Assert.Equal(CliAction.ShortUsage, CliParser.Parse(Tool, [], new Dictionary<string, string>()).Action);
        Assert.NotEqual(CliAction.ShortUsage, CliParser.Parse(Tool, [], new Dictionary<string, string> { ["PROCX_DRIVER"] = "redis-pubsub" }).Action);
    }

    private static string Render(Action<StringWriter> write)
    {
        using var w = new StringWriter { NewLine = "\n" };
        write(w);
        return w.ToString();
    }

    private abstract class PlainSource : ISourceDriver
    {
        public abstract Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken);

        public abstract Task ClearAsync(WorkItem item, CancellationToken cancellationToken);

        public abstract Task FailAsync(WorkItem item, CancellationToken cancellationToken);

        public abstract Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken);

        public abstract ValueTask DisposeAsync();
    }

    private abstract class BatchSource : PlainSource, IBatchSource
    {
        public abstract Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken);
    }

    private abstract class LeasedBatchDeadLetterSource : BatchSource, ILeasedSource, IDeadLetterSource
    {
        public abstract TimeSpan LeaseRenewalInterval { get; }

        public abstract Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken);

        public abstract Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken);
    }
}
