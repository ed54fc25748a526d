using System.CommandLine;
using System.Text;
using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary><c>--help</c>, <c>--version</c> and <c>--list-drivers</c> output, all derived from the setting declarations.</summary>
public static class HelpText
{
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

    /// <summary>Writes help for the core options, plus the selected driver's options, plus the driver list.</summary>
    public static void WriteHelp(ToolDefinition tool, DriverInfo? driver, TextWriter output)
    {
        var settings = driver is null ? tool.CoreSettings : tool.CoreSettings.Concat(driver.Settings);
        var (root, _) = CliParser.BuildCommand(tool, settings);
        var config = new InvocationConfiguration { Output = output, Error = output };
        root.Parse(["--help"]).Invoke(config);

        output.WriteLine("Flags take one or two dashes: -name value, -name=value, --name value, --name=value.");
        output.WriteLine("A flag beats its env var, which beats the default.");
        output.WriteLine();
        if (driver is null)
        {
            output.WriteLine("Drivers (see the options of one with: " + tool.Name + " --help -driver NAME):");
            WriteDriverList(tool, output);
        }
        else
        {
            output.WriteLine($"Driver {driver.Name}: {driver.Summary}");
        }
    }

    public static void WriteDriverList(ToolDefinition tool, TextWriter output)
    {
        var width = tool.Drivers.Count == 0 ? 0 : tool.Drivers.Max(d => d.Name.Length);
        foreach (var driver in tool.Drivers)
        {
            output.WriteLine($"  {driver.Name.PadRight(width)}  {driver.Summary}");
        }
    }
}
