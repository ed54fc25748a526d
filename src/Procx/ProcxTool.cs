using Drivers.Core.Cli;
using Drivers.Core.Hosting;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Hosting;

namespace Procx;

/// <summary>procx's own settings (the originals' names) and its command-line definition.</summary>
internal static class ProcxTool
{
    public static readonly Setting Driver = CommonSettings.Driver("procx");

    public static readonly Setting Daemon = new("daemon", "Keep taking work forever instead of handling one unit and exiting") { Type = SettingType.Bool };

    public static readonly Setting DaemonInterval = new("daemon-interval", "Milliseconds to wait after finding no work, in -daemon mode") { Type = SettingType.Int, Default = "1000", Min = "0" };

    public static readonly Setting HostEnv = new("hostenv", "Pass procx's whole environment to the child, PROCX_* variables included") { Type = SettingType.Bool };

    public static readonly Setting PassWorkAsArg = new("pass-work-as-arg", "Append the payload to the child's arguments instead of setting PROCX_PAYLOAD") { Type = SettingType.Bool };

    public static readonly Setting PassWorkAsStdin = new("pass-work-as-stdin", "Stream the payload to the child's stdin instead of setting PROCX_PAYLOAD") { Type = SettingType.Bool };

    public static readonly Setting PayloadFile = new("payload-file", "Write the payload to this file (mode 0600) for the child; removed after the job");

    public static readonly Setting KeepPayloadFile = new("keep-payload-file", "Keep -payload-file after the job") { Type = SettingType.Bool };

    public static readonly Setting Concurrency = new("concurrency", "Jobs to run at once in -daemon mode, each with its own work item") { Type = SettingType.Int, Default = "1", Min = "1", Max = "1024" };

    public static readonly Setting Timeout = new("timeout", "Per job: stop the child's process tree after this long (SIGTERM, then SIGKILL after -timeout-grace) and fail the work; 0 = no limit") { Type = SettingType.Duration, Default = "0", Max = Setting.LongestTimer };

    public static readonly Setting TimeoutGrace = new("timeout-grace", "How long a child told to stop (timeout, shutdown) gets before SIGKILL") { Type = SettingType.Duration, Default = "10s", Max = Setting.LongestTimer };

    public static readonly Setting ShutdownTimeout = new("shutdown-timeout", "On SIGTERM/SIGINT/SIGHUP, how long running children may go on before they get the signal (their work is then released untouched); the default fits Kubernetes' 30 s grace period with -timeout-grace") { Type = SettingType.Duration, Default = "15s", Max = Setting.LongestTimer };

    public static readonly Setting ExitWhenEmpty = new("exit-when-empty", "Work like -daemon until the source is empty and no job runs, then exit 0 (Kubernetes Jobs, KEDA ScaledJobs)") { Type = SettingType.Bool };

    public static readonly Setting MaxFailures = new("max-failures", "After this many failed attempts of one item: dead-letter it where the driver has a dead-letter place, else set it aside with the fail op, else park it (held, not run again) until procx exits; 0 = retry forever") { Type = SettingType.Int, Default = "0", Min = "0" };

    public static readonly Setting FailureBackoff = new("failure-backoff", "In -daemon mode, how long a failed item is held before it is tried again, doubling with each failure of that item up to -failure-backoff-max; 0 = at once") { Type = SettingType.Duration, Default = "1s", Max = Setting.LongestTimer };

    public static readonly Setting FailureBackoffMax = new("failure-backoff-max", "The longest -failure-backoff grows to") { Type = SettingType.Duration, Default = "5m", Max = Setting.LongestTimer };

    public static readonly Setting Hold = new("hold", "Hand one unit of work to the caller instead of a command: stdout gets the line 'item' and the payload, then EOF (or the line 'none'); the caller's line 'ok' on stdin clears it, any other line, EOF or -timeout fails it") { Type = SettingType.Bool };

    public static readonly Setting MetricsAddr = new("metrics-addr", "Serve Prometheus /metrics, /healthz (alive) and /readyz (the source answers) on this address, e.g. :9090 or 127.0.0.1:9090");

    public static IReadOnlyList<Setting> CoreSettings { get; } =
    [
        Driver, Daemon, DaemonInterval, HostEnv, PassWorkAsArg, PassWorkAsStdin, PayloadFile, KeepPayloadFile,
        Concurrency, Timeout, TimeoutGrace, ShutdownTimeout, ExitWhenEmpty, MaxFailures, FailureBackoff, FailureBackoffMax, Hold, InProcessPushx.Enabled, MetricsAddr,
        CommonSettings.LogLevel, CommonSettings.LogFormat, .. Kubernetes.K8sSettings.All,
    ];

    /// <summary>The drivers procx ships; a driver is only built once it is selected.</summary>
    public static DriverRegistry Registry { get; } = BuiltInDrivers.Create();

    public static ToolDefinition Definition { get; } = new(
        Name: "procx",
        EnvPrefix: "PROCX",
        Description: "procx takes one unit of work from a source driver, runs the command with it, and clears the work when the command exits 0 or fails it otherwise.",
        DriverSetting: Driver,
        CoreSettings: CoreSettings,
        Drivers: Registry.Sources.Select(DriverInfo.Of).ToList(),
        TakesCommand: true)
    {
        Examples = ProcxExamples.All,
        // What procx sets for its child (a nested procx, or one started with -hostenv, sees them): not typos.
        // PROCX_BIN: where the language bindings find procx (bindings/).
        ReservedEnv = ["PROCX_PAYLOAD", "PROCX_PAYLOAD_PATH", "PROCX_JOB_ID", "PROCX_ATTEMPT", "PROCX_BIN"],
    };
}
