using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary>A driver as the command line sees it: a name, a summary and the settings it reads.</summary>
public sealed record DriverInfo(string Name, string Summary, IReadOnlyList<Setting> Settings);

/// <summary>What the command line of one executable (procx or pushx) is made of.</summary>
public sealed record ToolDefinition(
    string Name,
    string EnvPrefix,
    string Description,
    Setting DriverSetting,
    IReadOnlyList<Setting> CoreSettings,
    IReadOnlyList<DriverInfo> Drivers,
    bool TakesCommand)
{
    /// <summary>Env names under <see cref="EnvPrefix"/> that are not settings but are expected, e.g. what procx
    /// sets for its child (<c>PROCX_JOB_ID</c>): no unknown-env warning for them.</summary>
    public IReadOnlyList<string> ReservedEnv { get; init; } = [];
}
