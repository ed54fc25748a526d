using Drivers.Core.Settings;

namespace Drivers.Core.Cli;

public enum CliAction { Run, Help, Version, ListDrivers, Completion, ShortUsage }

/// <summary>The outcome of parsing: what to do, with which driver, settings and child command.</summary>
public sealed record ParsedCommandLine(
    CliAction Action,
    DriverInfo? Driver,
    SettingValues Values,
    IReadOnlyList<string> Command,
    IReadOnlyList<string> IgnoredFlags)
{
    /// <summary>The shell asked for with <c>--completion</c>.</summary>
    public string? CompletionShell { get; init; }
}
