using Drivers.Core.Settings;

namespace Drivers.Core.Hosting;

/// <summary>Settings both executables share.</summary>
public static class CommonSettings
{
    // The originals parsed the level with logrus, in any case and with its names (trace, warning, fatal, panic);
    // there is no level below debug here, so trace means debug.
    public static readonly Setting LogLevel = new("log-level", "Log level, in any case: debug (or trace), info, warn (or warning), error (or fatal) or none (logs go to stderr)")
    {
        Default = "info",
        Choices = ["debug", "info", "warn", "error", "none"],
        ChoiceAliases = new Dictionary<string, string>
        {
            ["trace"] = "debug",
            ["warning"] = "warn",
            ["fatal"] = "error",
            ["panic"] = "error",
            ["off"] = "none",
        },
        GlobalEnv = ["LOG_LEVEL"],
    };

    public static readonly Setting LogFormat = new("log-format", "Log format on stderr, in any case: text or json")
    {
        Default = "text",
        Choices = ["text", "json"],
        GlobalEnv = ["LOG_FORMAT"],
    };

    public static Setting Driver(string tool) => new("driver", $"The {(tool == "procx" ? "source" : "sink")} driver to use (see --list-drivers)");
}
