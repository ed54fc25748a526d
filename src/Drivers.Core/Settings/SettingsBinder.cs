namespace Drivers.Core.Settings;

/// <summary>
/// The one place precedence lives: flag, then env var (primary name, then aliases, then global names),
/// then default. Every value is type-checked here, so errors come at start-up and name both the flag and
/// the env var.
/// </summary>
public static class SettingsBinder
{
    /// <param name="settings">The settings in force for this run (core + the selected driver).</param>
    /// <param name="flags">Values given on the command line, by setting.</param>
    /// <param name="environment">The process environment.</param>
    /// <param name="envPrefix"><c>PROCX</c> or <c>PUSHX</c>.</param>
    /// <param name="checkRequired">False while only core settings are known (help, driver listing).</param>
    public static SettingValues Bind(
        IEnumerable<Setting> settings,
        IReadOnlyDictionary<Setting, string> flags,
        IReadOnlyDictionary<string, string> environment,
        string envPrefix,
        bool checkRequired = true)
    {
        var values = new Dictionary<Setting, ResolvedValue>();
        var missing = new List<Setting>();
        foreach (var setting in settings.Distinct())
        {
            var resolved = Resolve(setting, flags, environment, envPrefix);
            if (resolved is null)
            {
                if (setting.Required && checkRequired)
                {
                    missing.Add(setting);
                }
                continue;
            }
            if (ValueParsers.Check(setting, resolved.Value) is { } problem)
            {
                var shown = setting.Secret ? "the value is not valid" : problem;
                throw CliException.Usage($"invalid value for {resolved.OriginName}: {shown}; set -{setting.Name} or {setting.PrimaryEnvName(envPrefix)}");
            }
            // Drivers compare choices as declared: LOG_FORMAT=JSON reaches them as "json".
            values[setting] = resolved with { Value = ValueParsers.Canonical(setting, resolved.Value) ?? resolved.Value };
        }

        if (missing.Count > 0)
        {
            var list = string.Join("; ", missing.Select(s => $"-{s.Name} (env {s.PrimaryEnvName(envPrefix)})"));
            throw CliException.Config($"missing required setting{(missing.Count > 1 ? "s" : "")}: {list}");
        }
        return new SettingValues(values, envPrefix);
    }

    private static ResolvedValue? Resolve(
        Setting setting,
        IReadOnlyDictionary<Setting, string> flags,
        IReadOnlyDictionary<string, string> environment,
        string envPrefix)
    {
        if (flags.TryGetValue(setting, out var flagValue))
        {
            return new ResolvedValue(flagValue, ValueOrigin.Flag, $"flag -{setting.Name}");
        }
        foreach (var name in setting.EnvNames(envPrefix))
        {
            // As in the originals, an empty env var counts as unset.
            if (environment.TryGetValue(name, out var envValue) && envValue.Length > 0)
            {
                return new ResolvedValue(envValue, ValueOrigin.Env, $"env {name}");
            }
        }
        return setting.Default is { } d ? new ResolvedValue(d, ValueOrigin.Default, $"default of -{setting.Name}") : null;
    }

    /// <summary>The process environment as a dictionary (the binder's input).</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value)
            {
                result[key] = value;
            }
        }
        return result;
    }
}
