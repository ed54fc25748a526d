using Drivers.Core.Cli;
using Drivers.Core.Hosting;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Hosting;

namespace Pushx;

/// <summary>pushx's own settings (the originals' names and env vars) and its command-line definition.</summary>
internal static class PushxTool
{
    public static readonly Setting Driver = CommonSettings.Driver("pushx");

    public static readonly Setting In = new("in", "The input itself (wins over -in-file)") { EnvAliases = ["INPUT_STR"] };

    public static readonly Setting InFile = new("in-file", "File to read the input from; - is stdin") { Default = "-", EnvAliases = ["INPUT_FILE"] };

    public static readonly Setting Out = new("out", "After a successful push, write the input to this file; - is stdout (chains pushx calls)") { EnvAliases = ["OUTPUT"] };

    public static readonly Setting PushEmpty = new("push-empty", "Push an empty input too (by default an empty input, e.g. from a failed child upstream, is not pushed)") { Type = SettingType.Bool };

    public static readonly Setting Lines = new("lines", "Push each line of the input as its own message, as it arrives (tail -f log | pushx -lines …); -out gets exactly the lines pushed") { Type = SettingType.Bool };

    public static readonly Setting Delimiter = new("delimiter", "With -lines, the byte that ends a line: one character, or \\n, \\0, \\t, \\r") { Default = "\\n" };

    public static readonly Setting BatchSize = new("batch-size",
        "With -lines, send up to this many lines in one call where the sink has a batch call (redis-list: one RPUSH; aws-sqs: SendMessageBatch, 10 at most; SQL, rabbitmq, nats, gcp-pubsub, gcp-bq tables: docs/cli.md lists each); 1 pushes each line on its own")
    {
        Type = SettingType.Int,
        Default = "1",
        Min = "1",
        Max = "100000",
    };

    public static readonly Setting BatchBytes = new("batch-bytes", "With -lines and -batch-size, the most bytes of lines one batch holds (memory is bounded by it)")
    {
        Type = SettingType.Int,
        Default = "1048576",
        Min = "1",
        Max = "536870912",
    };

    public static readonly Setting BatchTimeout = new("batch-timeout", "With -lines and -batch-size, send a batch that is not full once its first line has waited this long (so lines of tail -f still flow)")
    {
        Type = SettingType.Duration,
        Default = "200ms",
        Min = "0s",
        Max = "1h",
    };

    public static IReadOnlyList<Setting> CoreSettings { get; } = [Driver, In, InFile, Out, PushEmpty, Lines, Delimiter, BatchSize, BatchBytes, BatchTimeout, CommonSettings.LogLevel, CommonSettings.LogFormat];

    /// <summary>The drivers pushx ships; a driver is only built once it is selected.</summary>
    public static DriverRegistry Registry { get; } = BuiltInDrivers.Create();

    public static ToolDefinition Definition { get; } = new(
        Name: "pushx",
        EnvPrefix: "PUSHX",
        Description: "pushx reads its input (stdin, -in or -in-file) and sends it to a sink driver.",
        DriverSetting: Driver,
        CoreSettings: CoreSettings,
        Drivers: Registry.Sinks.Select(DriverInfo.Of).ToList(),
        TakesCommand: false)
    {
        Examples = PushxExamples.All,
        // Where the language bindings find pushx (bindings/): not a typo of a setting.
        ReservedEnv = ["PUSHX_BIN"],
    };
}
