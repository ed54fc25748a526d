using Drivers.Core;
using Drivers.Core.Registry;
using Drivers.Core.Settings;

namespace Procx.Client;

/// <summary>
/// Binds a driver's settings from what an application hands over, with the executables' one binder: a key is
/// a setting's flag name (<c>aws-s3-bucket</c>, with or without a leading dash) or any of its env var names
/// (<c>PROCX_AWS_S3_BUCKET</c>, <c>AWS_REGION</c>); a flag name wins over an env var, as on the command line.
/// An unknown key is an error naming it, as an unknown flag is.
/// </summary>
internal static class ClientSettings
{
    public static SettingValues Bind(IReadOnlyList<Setting> settings, IReadOnlyDictionary<string, string> given, string envPrefix)
    {
        var flags = new Dictionary<Setting, string>();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in given)
        {
            var name = key.TrimStart('-');
            if (settings.FirstOrDefault(s => s.FlagNames.Contains(name)) is { } setting)
            {
                flags[setting] = value;
            }
            else if (settings.Any(s => s.EnvNames(envPrefix).Contains(key)))
            {
                env[key] = value;
            }
            else
            {
                throw new ProcxException(Drivers.Core.Contracts.FailureKind.Configuration,
                    $"unknown setting '{key}': not a flag or env var name of this driver", ExitCodes.Usage);
            }
        }
        return SettingsBinder.Bind(settings, flags, env, envPrefix);
    }

    /// <summary>The process environment, as the executables read it (only this driver's names are used).</summary>
    public static SettingValues FromEnvironment(IReadOnlyList<Setting> settings, string envPrefix) =>
        SettingsBinder.Bind(settings, new Dictionary<Setting, string>(), SettingsBinder.ProcessEnvironment(), envPrefix);

    public static DriverRegistry Registry { get; } = Drivers.Hosting.BuiltInDrivers.Create();
}
