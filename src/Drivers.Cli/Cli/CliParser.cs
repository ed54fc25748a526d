using System.CommandLine;
using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary>
/// Parses one executable's command line. Go-form tokens are normalised first (see
/// <see cref="GoStyleTokenizer"/>); System.CommandLine then parses the options of the selected driver;
/// <see cref="SettingsBinder"/> applies flag → env → default. <see cref="HelpText"/> renders <c>--help</c>.
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
        var flags = ParseWithSystemCommandLine(tool, inForce, given.Where(kv => inForce.Contains(kv.Key)));
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

    /// <summary>Hands the normalised option tokens to System.CommandLine and reads the values back.</summary>
    private static Dictionary<Setting, string> ParseWithSystemCommandLine(ToolDefinition tool, IReadOnlyList<Setting> inForce, IEnumerable<KeyValuePair<Setting, string>> given)
    {
        var (root, options) = BuildCommand(tool, inForce);
        var tokens = new List<string>();
        foreach (var (setting, value) in given)
        {
            tokens.Add("--" + setting.Name);
            tokens.Add(value);
        }
        var result = root.Parse(tokens);
        if (result.Errors.Count > 0)
        {
            throw CliException.Usage(result.Errors[0].Message);
        }
        var flags = new Dictionary<Setting, string>();
        foreach (var (setting, option) in options)
        {
            if (result.GetResult(option) is { Implicit: false } && result.GetValue(option) is { } value)
            {
                flags[setting] = value;
            }
        }
        return flags;
    }

    /// <summary>The System.CommandLine model of the settings in force.</summary>
    internal static (RootCommand Root, List<(Setting, Option<string>)> Options) BuildCommand(ToolDefinition tool, IEnumerable<Setting> settings)
    {
        var root = new RootCommand(tool.Description);
        var options = new List<(Setting, Option<string>)>();
        foreach (var setting in settings.Distinct())
        {
            var aliases = setting.FlagNames.SelectMany(n => new[] { "-" + n, "--" + n }).Where(a => a != "--" + setting.Name).ToArray();
            var option = new Option<string>("--" + setting.Name, aliases)
            {
                Description = HelpText.Describe(setting, tool.EnvPrefix),
                HelpName = setting.Type switch
                {
                    SettingType.Bool => "bool",
                    SettingType.Int => "int",
                    SettingType.Duration => "duration",
                    _ => setting.Choices is { } c ? string.Join("|", c) : "string",
                },
            };
            root.Options.Add(option);
            options.Add((setting, option));
        }
        if (tool.TakesCommand)
        {
            root.Arguments.Add(new Argument<string[]>("command")
            {
                Description = "The child command and its arguments, run once per unit of work",
                Arity = ArgumentArity.ZeroOrMore,
            });
        }
        return (root, options);
    }
}
