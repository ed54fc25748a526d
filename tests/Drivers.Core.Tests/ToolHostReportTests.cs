using Drivers.Core.Contracts;
using Drivers.Core.Hosting;
using Drivers.Core.Logging;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>What the user sees when procx or pushx ends on an error: one line, the right exit code, a bug named by its type, the stack only at debug.</summary>
[Collection(nameof(ConsoleErrorCollection))]
public sealed class ToolHostReportTests
{
    private static (int Code, string Stderr, string Log) Report(Exception e, LogLevel level)
    {
        var stderr = new StringWriter();
        var logged = new StringWriter();
        var previous = Console.Error;
        Console.SetError(stderr);
        try
        {
            var code = ToolHost.ReportFailure("procx", new StderrLog("procx", level, json: false, logged), e);
            return (code, stderr.ToString(), logged.ToString());
        }
        finally
        {
            Console.SetError(previous);
        }
    }

    private static Exception Thrown()
    {
        try
        {
            throw new InvalidOperationException("the impossible happened\nsecond line");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    [Fact]
    public void A_bug_exits_70_named_by_its_type_on_one_line_with_no_detail_at_info()
    {
        var (code, stderr, log) = Report(Thrown(), LogLevel.Info);
        Assert.Equal(ExitCodes.Internal, code);
        Assert.Equal("procx: error: internal error (InvalidOperationException): the impossible happened\\nsecond line" + Environment.NewLine, stderr);
        Assert.Equal("", log);
    }

    [Fact]
    public void The_detail_is_logged_at_debug_only()
    {
        var (_, _, log) = Report(Thrown(), LogLevel.Debug);
        Assert.Contains("failure detail", log);
        Assert.Contains("System.InvalidOperationException", log);
        Assert.Single(log.Split('\n', StringSplitOptions.RemoveEmptyEntries)); // the detail is one escaped field, not a stack of lines
    }

    [Fact]
    public void A_driver_error_exits_with_its_kinds_code()
    {
        Assert.Equal(ExitCodes.Config, Report(DriverException.Configuration("bad -x (set -x or PROCX_X)"), LogLevel.Info).Code);
        Assert.Equal(ExitCodes.Unavailable, Report(DriverException.Transient("cannot reach redis"), LogLevel.Info).Code);
        Assert.Equal(ExitCodes.Usage, Report(CliException.Usage("unknown flag -y"), LogLevel.Info).Code);
    }
}

[CollectionDefinition(nameof(ConsoleErrorCollection), DisableParallelization = true)]
public sealed class ConsoleErrorCollection;
