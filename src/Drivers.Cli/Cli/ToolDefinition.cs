using Drivers.Core.Registry;
using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

/// <summary>
/// A driver as the command line sees it: a name, a summary, the settings it reads, what it can do (sources
/// only; null for sinks) and usage examples.
/// </summary>
public sealed record DriverInfo(string Name, string Summary, IReadOnlyList<Setting> Settings)
{
    public SourceCapabilities? Capabilities { get; init; }

    public IReadOnlyList<UsageExample> Examples { get; init; } = [];

    public static DriverInfo Of(SourceDescriptor source) =>
        new(source.Name, source.Summary, source.Settings) { Capabilities = source.Capabilities, Examples = source.Examples };

    public static DriverInfo Of(SinkDescriptor sink) =>
        new(sink.Name, sink.Summary, sink.Settings) { Examples = sink.Examples };
}

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

    /// <summary>The tool's own usage examples (its EXAMPLES section when no driver is selected).</summary>
    public IReadOnlyList<UsageExample> Examples { get; init; } = [];

    /// <summary>The synopsis: options first, then (procx) the command.</summary>
    public string UsageLine => TakesCommand ? $"{Name} [options] [--] [command [args...]]" : $"{Name} [options]";
}
