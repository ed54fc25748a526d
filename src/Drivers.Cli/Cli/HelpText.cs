using System.Text;
using Drivers.Core.Registry;
using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary>
/// <c>--help</c>, the short usage and <c>--list-drivers</c>, all derived from the declarations (settings,
/// capabilities, examples) and wrapped to <c>width</c> columns.
/// </summary>
public static class HelpText
{
    private const int OptionIndent = 2;
    private const int DescriptionIndent = 6;

    public static string Describe(Setting setting, string envPrefix)
    {
        var sb = new StringBuilder(setting.Help);
        sb.Append(" [env: ").Append(string.Join(", ", setting.EnvNames(envPrefix))).Append(']');
        if (setting.Default is { Length: > 0 } d)
        {
            sb.Append(" [default: ").Append(setting.Secret ? "*****" : d).Append(']');
        }
        if (ValueParsers.RangeText(setting) is { } range)
        {
            sb.Append(" [range: ").Append(range).Append(']');
        }
        if (setting.Required)
        {
            sb.Append(" [required]");
        }
        return sb.ToString();
    }

    /// <summary>What <c>procx</c> alone prints (to stderr, exit 64): the synopsis and where to look next.</summary>
    public static void WriteShortUsage(ToolDefinition tool, TextWriter output, int width)
    {
        output.WriteLine("Usage: " + tool.UsageLine);
        WriteParagraph(output, tool.Description, width, 0);
        WriteParagraph(output,
            $"Select a {DriverKind(tool)} with -driver NAME or {tool.DriverSetting.PrimaryEnvName(tool.EnvPrefix)} ({tool.Name} --list-drivers lists them); {tool.Name} --help shows every option and examples.",
            width, 0);
    }

    /// <summary>Help for the core options, plus the selected driver's options and examples, or the driver list.</summary>
    public static void WriteHelp(ToolDefinition tool, DriverInfo? driver, TextWriter output, int width)
    {
        output.WriteLine("Usage: " + tool.UsageLine);
        output.WriteLine();
        WriteParagraph(output, tool.Description, width, 0);
        if (tool.TakesCommand)
        {
            WriteParagraph(output, "Options come before the command: the first word that is not an option (or the word after --) starts the command, and it and everything after it go to the command untouched.", width, 0);
        }
        WriteParagraph(output, "Flags take one or two dashes: -name value, -name=value, --name value, --name=value. A flag beats its env var, which beats the default.", width, 0);
        output.WriteLine();

        output.WriteLine("OPTIONS");
        foreach (var setting in tool.CoreSettings)
        {
            WriteOption(output, FlagForms(setting.FlagNames) + ValueName(setting), Describe(setting, tool.EnvPrefix), width);
        }
        foreach (var meta in MetaOptions.All)
        {
            WriteOption(output, MetaForms(meta) + (meta.Choices is { } c ? " " + string.Join("|", c) : ""), meta.Help, width);
        }
        output.WriteLine();

        if (driver is null)
        {
            WriteExamples(output, tool.Examples, width);
            output.WriteLine($"DRIVERS (the options of one: {tool.Name} --help -driver NAME)");
            WriteDriverList(tool, output, width);
            return;
        }

        output.WriteLine($"DRIVER {driver.Name}");
        WriteParagraph(output, driver.Summary, width, OptionIndent);
        if (driver.Capabilities is { } caps)
        {
            WriteParagraph(output, $"Delivery: {caps.GuaranteeName}; leases: {YesNo(caps.Leases)}; batches: {YesNo(caps.Batches)}; dead-letters: {YesNo(caps.DeadLetters)}. {caps.Recovery}", width, OptionIndent);
        }
        output.WriteLine();
        output.WriteLine($"OPTIONS OF {driver.Name}");
        var own = driver.Settings.Where(s => !tool.CoreSettings.Contains(s)).ToList();
        if (own.Count == 0)
        {
            output.WriteLine("  none");
        }
        foreach (var setting in own)
        {
            WriteOption(output, FlagForms(setting.FlagNames) + ValueName(setting), Describe(setting, tool.EnvPrefix), width);
        }
        output.WriteLine();
        WriteExamples(output, driver.Examples, width);
    }

    /// <summary>One line per driver: name, then (sources) guarantee, lease, batch, dead-letter, then the summary.</summary>
    public static void WriteDriverList(ToolDefinition tool, TextWriter output, int width)
    {
        var nameWidth = tool.Drivers.Count == 0 ? 4 : Math.Max(4, tool.Drivers.Max(d => d.Name.Length));
        var sources = tool.Drivers.Any(d => d.Capabilities is not null);
        string Row(string name, string guarantee, string lease, string batch, string dead) => sources
            ? $"  {name.PadRight(nameWidth)}  {guarantee,-13}  {lease,-5}  {batch,-5}  {dead,-11}  "
            : $"  {name.PadRight(nameWidth)}  ";

        var header = Row("NAME", "GUARANTEE", "LEASE", "BATCH", "DEAD-LETTER");
        output.WriteLine(header + "SUMMARY");
        foreach (var driver in tool.Drivers)
        {
            var caps = driver.Capabilities;
            var row = caps is null
                ? Row(driver.Name, "", "", "", "")
                : Row(driver.Name, caps.GuaranteeName, YesNo(caps.Leases), YesNo(caps.Batches), YesNo(caps.DeadLetters));
            // The summary wraps in its own column; when that column would be too narrow, it goes below.
            var column = width - row.Length >= 24 ? row.Length : DescriptionIndent;
            var lines = TextWrap.Wrap(driver.Summary, width, column).ToList();
            if (column == row.Length && lines.Count > 0)
            {
                output.WriteLine(row + lines[0].TrimStart());
                lines.RemoveAt(0);
            }
            else
            {
                output.WriteLine(row.TrimEnd());
            }
            foreach (var line in lines)
            {
                output.WriteLine(line);
            }
        }
    }

    private static void WriteExamples(TextWriter output, IReadOnlyList<UsageExample> examples, int width)
    {
        if (examples.Count == 0)
        {
            return;
        }
        output.WriteLine("EXAMPLES");
        foreach (var example in examples)
        {
            WriteParagraph(output, example.Description + ":", width, OptionIndent);
            // A command line is not wrapped: it must stay copyable.
            output.WriteLine(new string(' ', DescriptionIndent) + example.CommandLine);
        }
        output.WriteLine();
    }

    private static void WriteOption(TextWriter output, string forms, string description, int width)
    {
        output.WriteLine(new string(' ', OptionIndent) + forms);
        foreach (var line in TextWrap.Wrap(description, width, DescriptionIndent))
        {
            output.WriteLine(line);
        }
    }

    private static void WriteParagraph(TextWriter output, string text, int width, int indent)
    {
        foreach (var line in TextWrap.Wrap(text, width, indent))
        {
            output.WriteLine(line);
        }
    }

    private static string FlagForms(IEnumerable<string> names) => string.Join(", ", names.Select(n => "-" + n));

    /// <summary>Meta options in the spelling users type for them: <c>-h, --help</c>, <c>--list-drivers</c>.</summary>
    private static string MetaForms(MetaOptions.MetaOption meta) =>
        string.Join(", ", meta.FlagNames.Where(n => n != "?").OrderBy(n => n.Length).Select(n => (n.Length == 1 ? "-" : "--") + n));

    private static string ValueName(Setting setting) => setting.Type switch
    {
        SettingType.Bool => "",
        SettingType.Int => " int",
        SettingType.Duration => " duration",
        _ => setting.Choices is { } c ? " " + string.Join("|", c) : " string",
    };

    private static string YesNo(bool value) => value ? "yes" : "-";

    private static string DriverKind(ToolDefinition tool) => tool.TakesCommand ? "source" : "sink";
}
