using Drivers.Core.Logging;

namespace Procx.Client;

/// <summary>The default log of the library: drivers' warnings to stderr, as the executables print them; nothing else.</summary>
internal static class QuietLog
{
    public static ILog Instance { get; } = new StderrLog("procx-client", LogLevel.Warn, json: false);
}
