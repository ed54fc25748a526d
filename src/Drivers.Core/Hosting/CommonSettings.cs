using Drivers.Core.Settings;

namespace Drivers.Core.Hosting;

/// <summary>Settings both executables share.</summary>
public static class CommonSettings
{
    public static readonly Setting LogLevel = new("log-level", "Log level: debug, info, warn, error or none (logs go to stderr)")
    {
        Default = "info",
        Choices = ["debug", "info", "warn", "error", "none"],
        GlobalEnv = ["LOG_LEVEL"],
    };

    public static readonly Setting LogFormat = new("log-format", "Log format on stderr: text or json")
    {
        Default = "text",
        Choices = ["text", "json"],
        GlobalEnv = ["LOG_FORMAT"],
    };

    public static Setting Driver(string tool) => new("driver", $"The {(tool == "procx" ? "source" : "sink")} driver to use (see --list-drivers)");
}
