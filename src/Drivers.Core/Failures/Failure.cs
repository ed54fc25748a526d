using System.ComponentModel;
using System.Net.Sockets;
using Drivers.Core.Contracts;
using Drivers.Core.Templating;

namespace Drivers.Core.Failures;

/// <summary>An exception classified: its kind, a one-line message a person can act on, and (rarely) an exit
/// code of its own that wins over the table's (127: the child cannot be started; 124: -timeout).</summary>
public sealed record Failure(FailureKind Kind, string Message, Exception Exception, int? ExitCode = null)
{
    public FailureDecision Decide(JobPhase phase)
    {
        var decision = FailurePolicy.Decide(Kind, phase);
        return ExitCode is { } code ? decision with { ExitCode = code } : decision;
    }

    /// <summary>
    /// Classifies an exception: a <see cref="DriverException"/> says its kind; a driver's
    /// <paramref name="translator"/> recognises its client library's exceptions; then the host's defaults:
    /// network and timeouts are transient, template errors are data, anything else is a bug.
    /// </summary>
    public static Failure Of(Exception e, IFailureTranslator? translator = null)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate)
        {
            return Of(aggregate.InnerExceptions[0], translator);
        }
        if (e is HostFailureException host)
        {
            return new Failure(host.Kind, host.Message, host, host.ExitCode);
        }
        if (e is DriverException driver)
        {
            return new Failure(driver.Kind, driver.Message, driver);
        }
        if (translator?.Translate(e) is { } translated)
        {
            return new Failure(translated.Kind, translated.Message, e);
        }
        return e switch
        {
            CliException { ExitCode: ExitCodes.Usage or ExitCodes.Config } cli => new Failure(FailureKind.Configuration, cli.Message, e, cli.ExitCode),
            CliException { ExitCode: ExitCodes.DataError } cli => new Failure(FailureKind.Data, cli.Message, e),
            CliException { ExitCode: ExitCodes.TempFail } cli => new Failure(FailureKind.Lost, cli.Message, e),
            CliException cli => new Failure(FailureKind.Transient, cli.Message, e, cli.ExitCode),
            TemplateException t => new Failure(FailureKind.Data, t.Message, e),
            SocketException or TimeoutException or HttpRequestException or IOException =>
                new Failure(FailureKind.Transient, ErrorText.Describe(e), e),
            UnauthorizedAccessException => new Failure(FailureKind.Configuration, ErrorText.Describe(e), e),
            Win32Exception => new Failure(FailureKind.Transient, ErrorText.Describe(e), e),
            _ => new Failure(FailureKind.Bug, $"internal error ({e.GetType().Name}): {ErrorText.Describe(e)}", e),
        };
    }
}

/// <summary>A failure of procx's or pushx's own (not a driver's), with an exit code of its own where the table's
/// does not fit: the child cannot be started (127), an output that cannot be written.</summary>
public sealed class HostFailureException : Exception
{
    public HostFailureException(FailureKind kind, string message, int? exitCode = null, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
        ExitCode = exitCode;
    }

    public HostFailureException() : this(FailureKind.Bug, "host error") { }

    public HostFailureException(string message) : this(FailureKind.Bug, message) { }

    public HostFailureException(string message, Exception inner) : this(FailureKind.Bug, message, null, inner) { }

    public FailureKind Kind { get; }

    public int? ExitCode { get; }
}
