using System.Globalization;
using Drivers.Core.Contracts;

namespace Drivers.Core.Settings;

/// <summary>
/// The resolved settings of one run: flag, else env var, else default. Values were type-checked when they
/// were bound, so the typed getters here only convert.
/// </summary>
public sealed class SettingValues
{
    private readonly Dictionary<Setting, ResolvedValue> _values;

    internal SettingValues(Dictionary<Setting, ResolvedValue> values, string envPrefix)
    {
        _values = values;
        EnvPrefix = envPrefix;
    }

    /// <summary><c>PROCX</c> or <c>PUSHX</c>: used to name env vars in error messages.</summary>
    public string EnvPrefix { get; }

    /// <summary>True when the value came from a flag or an env var rather than the default.</summary>
    public bool IsSet(Setting setting) => _values.TryGetValue(setting, out var v) && v.Origin != ValueOrigin.Default;

    public string? GetString(Setting setting) =>
        _values.TryGetValue(setting, out var v) ? v.Value : setting.Default;

    /// <summary>The value, or a <see cref="DriverException"/> naming the flag and env var to set.</summary>
    public string GetRequiredString(Setting setting) =>
        GetString(setting) is { Length: > 0 } value ? value : throw MissingError(setting);

    public bool GetBool(Setting setting) => GetString(setting) is { } v && ValueParsers.ParseBool(v) == true;

    public int GetInt(Setting setting) =>
        GetString(setting) is { Length: > 0 } v ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : 0;

    public TimeSpan GetDuration(Setting setting) =>
        GetString(setting) is { Length: > 0 } v ? ValueParsers.ParseDuration(v) ?? TimeSpan.Zero : TimeSpan.Zero;

    /// <summary>The path a file setting names (a CA, a certificate, a key), or null when unset; an error naming the setting when no such file exists.</summary>
    public string? GetExistingFile(Setting setting)
    {
        if (GetString(setting) is not { Length: > 0 } path)
        {
            return null;
        }
        return File.Exists(path) ? path : throw Invalid(setting, $"file '{path}' does not exist");
    }

    /// <summary>A configuration error for this setting, naming its flag and env var.</summary>
    public DriverException Invalid(Setting setting, string problem) =>
        DriverException.Configuration($"{problem} (set -{setting.Name} or {setting.PrimaryEnvName(EnvPrefix)})");

    /// <summary>
    /// A transient error for a server that cannot be reached, naming where and the settings to check:
    /// <c>cannot reach redis at 127.0.0.1:1 (connection refused): check -redis-host/-redis-port (PROCX_REDIS_HOST/PROCX_REDIS_PORT)</c>.
    /// </summary>
    /// <param name="service">What was dialled: <c>redis</c>, <c>postgres</c>.</param>
    /// <param name="endpoint"><c>host:port</c> or a URL.</param>
    /// <param name="reason">A few words: <c>connection refused</c>, <c>host not found</c>, <c>timed out</c>.</param>
    public DriverException Unreachable(string service, string endpoint, string reason, Exception? inner, params ReadOnlySpan<Setting> check) =>
        DriverException.Transient($"cannot reach {service} at {endpoint} ({reason}): check {Names(check)}", inner);

    /// <summary><c>-a/-b (PROCX_A/PROCX_B)</c>: the flags and env vars of <paramref name="settings"/>.</summary>
    public string Names(params ReadOnlySpan<Setting> settings)
    {
        var flags = new List<string>();
        var envs = new List<string>();
        foreach (var setting in settings)
        {
            flags.Add("-" + setting.Name);
            envs.Add(setting.PrimaryEnvName(EnvPrefix));
        }
        return $"{string.Join('/', flags)} ({string.Join('/', envs)})";
    }

    public DriverException MissingError(Setting setting) =>
        DriverException.Configuration($"-{setting.Name} is required: set the flag -{setting.Name} or the env var {setting.PrimaryEnvName(EnvPrefix)}");

    /// <summary>Where a value came from, for debug logs; secrets are masked.</summary>
    public IEnumerable<(Setting Setting, string Shown, string Origin)> Describe() =>
        _values.Select(kv => (kv.Key, kv.Key.Secret ? "*****" : kv.Value.Value, kv.Value.OriginName));
}

internal enum ValueOrigin { Flag, Env, Default }

internal sealed record ResolvedValue(string Value, ValueOrigin Origin, string OriginName);
