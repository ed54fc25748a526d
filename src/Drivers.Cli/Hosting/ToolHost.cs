using Drivers.Core.Cli;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Drivers.Core.Hosting;

/// <summary>
/// What procx and pushx share around their own work: parse the command line, answer <c>--help</c>,
/// <c>--version</c> and <c>--list-drivers</c>, set up logging, and turn every error into one line on
/// stderr and a distinct exit code, never a stack trace.
/// </summary>
public static class ToolHost
{
    public delegate Task<int> RunDelegate(ParsedCommandLine commandLine, ILog log, CancellationToken cancellationToken);

    public static int Run(ToolDefinition tool, string[] args, RunDelegate run)
    {
        ILog log = new StderrLog(tool.Name, LogLevel.Info, json: false);
        IReadOnlyList<string> unknownEnv = [];
        try
        {
            var environment = SettingsBinder.ProcessEnvironment();
            // Found before parsing: a misspelt PROCX_FS_FOLDR is most useful beside the "-fs-folder is required" it causes.
            unknownEnv = UnknownEnv.Warnings(tool, environment.Keys);
            var parsed = CliParser.Parse(tool, args, environment);
            log = CreateLog(tool, parsed.Values);
            WarnOnce(log, ref unknownEnv);
            switch (parsed.Action)
            {
                case CliAction.Help:
                    HelpText.WriteHelp(tool, parsed.Driver, Console.Out, TextWrap.ConsoleWidth());
                    return ExitCodes.Success;
                case CliAction.Version:
                    Console.Out.WriteLine(BuildInfo.VersionLine(tool.Name));
                    return ExitCodes.Success;
                case CliAction.ListDrivers:
                    HelpText.WriteDriverList(tool, Console.Out, TextWrap.ConsoleWidth());
                    return ExitCodes.Success;
                case CliAction.Completion:
                    Console.Out.Write(CompletionScript.Generate(tool, parsed.CompletionShell!));
                    return ExitCodes.Success;
                case CliAction.ShortUsage:
                    HelpText.WriteShortUsage(tool, Console.Error, TextWrap.OutputWidth(Environment.GetEnvironmentVariable("COLUMNS"), () => null));
                    return ExitCodes.Usage;
            }
            foreach (var flag in parsed.IgnoredFlags)
            {
                log.Warn($"flag {flag} does not apply to driver {parsed.Driver!.Name}; ignored");
            }
            return run(parsed, log, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            WarnOnce(log, ref unknownEnv);
            return ReportFailure(tool.Name, log, e);
        }
    }

    private static void WarnOnce(ILog log, ref IReadOnlyList<string> warnings)
    {
        foreach (var warning in warnings)
        {
            log.Warn(warning);
        }
        warnings = [];
    }

    /// <summary>Maps an exception to a one-line error and its exit code.</summary>
    public static int ReportFailure(string tool, ILog log, Exception e)
    {
        var (code, message) = Classify(e);
        Console.Error.WriteLine($"{tool}: error: {message}");
        if (log.IsEnabled(LogLevel.Debug))
        {
            log.Debug("failure detail", ("exception", e.ToString()));
        }
        return code;
    }

    public static (int ExitCode, string Message) Classify(Exception e)
    {
        if (e is CliException cli)
        {
            return (cli.ExitCode, ErrorText.OneLine(cli.Message));
        }
        var failure = Failure.Of(e);
        return (failure.ExitCode ?? FailurePolicy.ExitCode(failure.Kind), ErrorText.OneLine(failure.Message));
    }

    private static StderrLog CreateLog(ToolDefinition tool, SettingValues values) =>
        new(tool.Name, StderrLog.ParseLevel(values.GetString(CommonSettings.LogLevel)), values.GetString(CommonSettings.LogFormat) == "json");
}
