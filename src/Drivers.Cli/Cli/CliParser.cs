using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary>
/// Parses one executable's command line. Go-form tokens are split into flags and the command (see
/// <see cref="GoStyleTokenizer"/>; a repeated flag's last value wins, as in Go); <see cref="SettingsBinder"/>
/// checks each value and applies flag → env → default. <see cref="HelpText"/> renders <c>--help</c>.
/// </summary>
public static class CliParser
{
    public static ParsedCommandLine Parse(ToolDefinition tool, IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var known = KnownFlags(tool);
        var split = GoStyleTokenizer.Split(args, name => name switch
        {
            _ when MetaOptions.Find(name) is { } meta => !meta.TakesValue,
            _ when known.TryGetValue(name, out var s) => s.Type == SettingType.Bool,
            _ => throw CliException.Usage($"unknown flag -{name}{Suggest.DidYouMean(name, known.Keys.Concat(MetaOptions.All.Select(m => m.Name)), "-")}"),
        });

        var action = CliAction.Run;
        string? completionShell = null;
        var given = new Dictionary<Setting, string>();
        foreach (var flag in split.Flags)
        {
            var meta = MetaOptions.Find(flag.Name);
            if (meta is null)
            {
                given[known[flag.Name]] = flag.Value ?? "true";
                continue;
            }
            // Help wins over the others, whatever the order; otherwise the first question asked is answered.
            var asked = meta == MetaOptions.Help ? CliAction.Help
                : meta == MetaOptions.Version ? CliAction.Version
                : meta == MetaOptions.ListDrivers ? CliAction.ListDrivers
                : CliAction.Completion;
            if (asked == CliAction.Completion)
            {
                completionShell = CompletionScript.Shells.Contains(flag.Value) ? flag.Value
                    : throw CliException.Usage($"--completion takes one of: {string.Join(", ", CompletionScript.Shells)} (not '{flag.Value}')");
            }
            action = asked == CliAction.Help || action == CliAction.Run ? asked : action;
        }
        if (!tool.TakesCommand && split.Command.Count > 0)
        {
            throw CliException.Usage($"unexpected argument '{split.Command[0]}': {tool.Name} takes no command (see {tool.Name} --help)");
        }

        var driverName = given.GetValueOrDefault(tool.DriverSetting)
            ?? tool.DriverSetting.EnvNames(tool.EnvPrefix).Select(n => environment.GetValueOrDefault(n)).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        var driver = driverName is null ? null : FindDriver(tool, driverName);
        if (args.Count == 0 && driver is null)
        {
            // `procx` alone: a short usage on stderr (exit 64) rather than an error about a missing driver.
            action = CliAction.ShortUsage;
        }
        if (action != CliAction.Run)
        {
            var coreOnly = SettingsBinder.Bind(tool.CoreSettings, given.Where(kv => tool.CoreSettings.Contains(kv.Key)).ToDictionary(), environment, tool.EnvPrefix, checkRequired: false);
            return new ParsedCommandLine(action, driver, coreOnly, split.Command, []) { CompletionShell = completionShell };
        }
        if (driver is null)
        {
            throw CliException.Config($"no driver selected: set -driver or {tool.DriverSetting.PrimaryEnvName(tool.EnvPrefix)} (one of: {string.Join(", ", tool.Drivers.Select(d => d.Name))})");
        }

        var inForce = tool.CoreSettings.Concat(driver.Settings).Distinct().ToList();
        var ignored = given.Keys.Where(s => !inForce.Contains(s)).Select(s => "-" + s.Name).ToList();
        // A value is taken as given, even one that looks like a flag or is "--" (-in=--), as Go's flag package does.
        var flags = given.Where(kv => inForce.Contains(kv.Key)).ToDictionary();
        var values = SettingsBinder.Bind(inForce, flags, environment, tool.EnvPrefix);
        return new ParsedCommandLine(action, driver, values, split.Command, ignored);
    }

    private static DriverInfo FindDriver(ToolDefinition tool, string name) =>
        tool.Drivers.FirstOrDefault(d => d.Name == name)
        ?? throw CliException.Usage($"unknown driver '{name}'{Suggest.DidYouMean(name, tool.Drivers.Select(d => d.Name))}; {tool.Name} --list-drivers lists them");

    /// <summary>Every flag name of the tool (core and all drivers), so a flag may come before -driver.</summary>
    private static Dictionary<string, Setting> KnownFlags(ToolDefinition tool)
    {
        var known = new Dictionary<string, Setting>(StringComparer.Ordinal);
        foreach (var setting in tool.CoreSettings.Concat(tool.Drivers.SelectMany(d => d.Settings)))
        {
            foreach (var name in setting.FlagNames)
            {
                if (known.TryGetValue(name, out var other) && other != setting && other.Type != setting.Type)
                {
                    throw new InvalidOperationException($"flag -{name} is declared twice with different types");
                }
                known.TryAdd(name, setting);
            }
        }
        return known;
    }
}
