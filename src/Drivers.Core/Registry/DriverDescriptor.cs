using Drivers.Core.Contracts;
using Drivers.Core.Settings;

namespace Drivers.Core.Registry;

/// <summary>A procx source: its name, one-line summary, every setting it reads, and how to build it.</summary>
public sealed record SourceDescriptor(
    string Name,
    string Summary,
    IReadOnlyList<Setting> Settings,
    Func<DriverContext, ISourceDriver> Create);

/// <summary>A pushx sink: its name, one-line summary, every setting it reads, and how to build it.</summary>
public sealed record SinkDescriptor(
    string Name,
    string Summary,
    IReadOnlyList<Setting> Settings,
    Func<DriverContext, ISinkDriver> Create);
