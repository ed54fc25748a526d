using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;

namespace Drivers.Conformance;

/// <summary>Builds drivers in-process the way the executables do: through the registry and the binder.</summary>
public static class DriverFactory
{
    public static ILog TestLog { get; } = new StderrLog("test", LogLevel.Warn, json: false);

    public static ISourceDriver Source(DriverRegistry registry, string name, IReadOnlyDictionary<string, string> flags)
    {
        var descriptor = registry.FindSource(name) ?? throw new ArgumentException($"no source '{name}'");
        return descriptor.Create(new DriverContext(Bind(descriptor.Settings, flags, "PROCX"), TestLog));
    }

    public static ISinkDriver Sink(DriverRegistry registry, string name, IReadOnlyDictionary<string, string> flags)
    {
        var descriptor = registry.FindSink(name) ?? throw new ArgumentException($"no sink '{name}'");
        return descriptor.Create(new DriverContext(Bind(descriptor.Settings, flags, "PUSHX"), TestLog));
    }

    /// <summary>Binds flag-name → value pairs (no env) for a driver's settings.</summary>
    public static SettingValues Bind(IReadOnlyList<Setting> settings, IReadOnlyDictionary<string, string> flags, string prefix)
    {
        var given = new Dictionary<Setting, string>();
        foreach (var (name, value) in flags)
        {
            var setting = settings.FirstOrDefault(s => s.FlagNames.Contains(name)) ?? throw new ArgumentException($"no setting -{name}");
            given[setting] = value;
        }
        return SettingsBinder.Bind(settings, given, new Dictionary<string, string>(), prefix);
    }
}
