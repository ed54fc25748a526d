namespace Drivers.Core.Settings;

public enum SettingType
{
    String,
    Bool,
    Int,
    /// <summary>A Go-style duration: <c>300ms</c>, <c>30s</c>, <c>5m</c>, <c>1h30m</c>; a bare number is seconds.</summary>
    Duration,
}

/// <summary>
/// The one declaration of a setting. The CLI flag (<c>-name</c> / <c>--name</c>), the env var
/// (<c>PROCX_NAME</c> / <c>PUSHX_NAME</c>), <c>--help</c>, validation and docs/drivers.md all come from it.
/// </summary>
public sealed class Setting
{
    public Setting(string name, string help)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        Help = help;
    }

    /// <summary>
    /// The <see cref="Max"/> of a duration that becomes a timer (a timeout, a delay): timers and
    /// <c>Task.Delay</c> take at most 2^31-1 ms (24.8 days), and a longer value must fail at start-up, not
    /// after the child ran.
    /// </summary>
    public const string LongestTimer = "576h";

    /// <summary>The flag name without dashes, e.g. <c>aws-s3-bucket</c>.</summary>
    public string Name { get; }

    public string Help { get; }

    public SettingType Type { get; init; } = SettingType.String;

    /// <summary>The value when neither flag nor env var is given.</summary>
    public string? Default { get; init; }

    public bool Required { get; init; }

    /// <summary>Never printed: not in logs, not in <c>--help</c>, not in docs.</summary>
    public bool Secret { get; init; }

    /// <summary>Allowed values, when the setting is an enumeration (e.g. <c>mv</c>, <c>rm</c>).</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>
    /// Other spellings accepted for a choice, mapped to the choice they mean (e.g. <c>warning</c> for
    /// <c>warn</c>). Choices and aliases match in any case; the binder hands on the canonical choice.
    /// </summary>
    public IReadOnlyDictionary<string, string>? ChoiceAliases { get; init; }

    /// <summary>
    /// The smallest value allowed, for <see cref="SettingType.Int"/> and <see cref="SettingType.Duration"/>,
    /// written as a value of the setting (<c>1</c>, <c>0s</c>); null for no lower bound beyond the type's own.
    /// </summary>
    public string? Min { get; init; }

    /// <summary>The largest value allowed, written as a value of the setting (<c>1024</c>, <c>576h</c>).</summary>
    public string? Max { get; init; }

    /// <summary>Other flag names accepted for this setting (e.g. a corrected spelling).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Other env names under the tool's prefix, e.g. <c>GCP_TOPIC</c> for <c>PUSHX_GCP_TOPIC</c>.</summary>
    public IReadOnlyList<string> EnvAliases { get; init; } = [];

    /// <summary>Env names read as they are, after the prefixed ones, e.g. <c>AWS_REGION</c>, <c>LOG_LEVEL</c>.</summary>
    public IReadOnlyList<string> GlobalEnv { get; init; } = [];

    /// <summary>All flag names, canonical first.</summary>
    public IEnumerable<string> FlagNames => Aliases.Prepend(Name);

    /// <summary>The env names read for this setting under <paramref name="prefix"/>, in precedence order.</summary>
    public IEnumerable<string> EnvNames(string prefix)
    {
        yield return $"{prefix}_{ToEnvSuffix(Name)}";
        foreach (var alias in Aliases)
        {
            yield return $"{prefix}_{ToEnvSuffix(alias)}";
        }
        foreach (var alias in EnvAliases)
        {
            yield return $"{prefix}_{alias}";
        }
        foreach (var name in GlobalEnv)
        {
            yield return name;
        }
    }

    public string PrimaryEnvName(string prefix) => $"{prefix}_{ToEnvSuffix(Name)}";

    public override string ToString() => "-" + Name;

    internal static string ToEnvSuffix(string flagName) => flagName.ToUpperInvariant().Replace('-', '_');
}
