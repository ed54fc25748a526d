using Drivers.Core.Settings;

namespace Procx;

/// <summary>How each job's child is run, read once from the settings.</summary>
internal sealed record JobOptions(
    IReadOnlyList<string> Command,
    bool HostEnv,
    bool PassAsArg,
    bool PassAsStdin,
    PayloadFileName? PayloadFile,
    bool KeepPayloadFile,
    TimeSpan Timeout,
    TimeSpan Grace,
    int MaxFailures,
    TimeSpan FailureBackoff,
    TimeSpan FailureBackoffMax,
    bool Hold = false)
{
    /// <summary>PROCX_PAYLOAD is the default delivery, used when no other is asked for.</summary>
    public bool PassAsEnv => !PassAsArg && !PassAsStdin && PayloadFile is null;

    public static JobOptions From(SettingValues values, IReadOnlyList<string> command) => new(
        command,
        values.GetBool(ProcxTool.HostEnv),
        values.GetBool(ProcxTool.PassWorkAsArg),
        values.GetBool(ProcxTool.PassWorkAsStdin),
        PayloadFileName.From(values),
        values.GetBool(ProcxTool.KeepPayloadFile),
        values.GetDuration(ProcxTool.Timeout),
        values.GetDuration(ProcxTool.TimeoutGrace),
        values.GetInt(ProcxTool.MaxFailures),
        values.GetDuration(ProcxTool.FailureBackoff),
        values.GetDuration(ProcxTool.FailureBackoffMax),
        values.GetBool(ProcxTool.Hold));
}
