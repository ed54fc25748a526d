using Drivers.Core.Contracts;
using Drivers.Core.Settings;

namespace Drivers.Core.Registry;

/// <summary>
/// A procx source: its name, one-line summary, every setting it reads, how to build it, what it can do
/// (<see cref="Capabilities"/>) and how it is used (<see cref="Examples"/>).
/// </summary>
public sealed record SourceDescriptor(
    string Name,
    string Summary,
    IReadOnlyList<Setting> Settings,
    Func<DriverContext, ISourceDriver> Create)
{
    public required SourceCapabilities Capabilities { get; init; }

    /// <summary>A few command lines for <c>--help -driver X</c> and docs/drivers.md.</summary>
    public IReadOnlyList<UsageExample> Examples { get; init; } = [];
}

/// <summary>A pushx sink: its name, one-line summary, every setting it reads, how to build it, and how it is used.</summary>
public sealed record SinkDescriptor(
    string Name,
    string Summary,
    IReadOnlyList<Setting> Settings,
    Func<DriverContext, ISinkDriver> Create)
{
    /// <summary>A few command lines for <c>--help -driver X</c> and docs/drivers.md.</summary>
    public IReadOnlyList<UsageExample> Examples { get; init; } = [];
}
