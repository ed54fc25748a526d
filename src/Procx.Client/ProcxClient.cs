using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Procx.Client;

/// <summary>
/// procx in process: opens a source driver by its procx name (<c>fs</c>, <c>redis-list</c>, <c>aws-s3</c>, …)
/// with the settings procx takes, by flag or env var name. The application never references a provider's
/// SDK: moving from AWS to GCP is a change of the driver name and its settings.
/// </summary>
public static class ProcxClient
{
    private const string EnvPrefix = "PROCX";

    /// <summary>Opens <paramref name="driver"/> with <paramref name="settings"/> (<c>["fs-folder"] = "/work"</c>).</summary>
    /// <exception cref="ProcxException">An unknown driver or setting, a bad or missing value (configuration, exit code 64 or 78).</exception>
    public static ProcxSource OpenSource(string driver, IReadOnlyDictionary<string, string> settings, ILog? log = null) =>
        Open(driver, d => ClientSettings.Bind(d.Settings, settings, EnvPrefix), log);

    /// <summary>Opens <paramref name="driver"/> with its settings read from the environment (<c>PROCX_FS_FOLDER</c>, …), as procx reads them.</summary>
    public static ProcxSource OpenSourceFromEnvironment(string driver, ILog? log = null) =>
        Open(driver, d => ClientSettings.FromEnvironment(d.Settings, EnvPrefix), log);

    private static ProcxSource Open(string driver, Func<SourceDescriptor, Drivers.Core.Settings.SettingValues> bind, ILog? log)
    {
        var descriptor = ClientSettings.Registry.FindSource(driver)
            ?? throw new ProcxException(FailureKind.Configuration,
                $"unknown source driver '{driver}' (one of: {string.Join(", ", ClientSettings.Registry.Sources.Select(s => s.Name))})", ExitCodes.Usage);
        try
        {
            return new ProcxSource(descriptor.Create(new DriverContext(bind(descriptor), log ?? QuietLog.Instance)));
        }
        catch (Exception e) when (e is not ProcxException and not OutOfMemoryException)
        {
            throw ProcxException.From(e, null);
        }
    }
}
