namespace Drivers.Core;

/// <summary>
/// An error the user can fix: printed as one line naming the flag or env var to change, with a distinct
/// exit code, never with a stack trace.
/// </summary>
public sealed class CliException : Exception
{
    public CliException(string message, int exitCode, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    public CliException() : this("usage error", ExitCodes.Usage) { }

    public CliException(string message) : this(message, ExitCodes.Usage) { }

    public CliException(string message, Exception inner) : this(message, ExitCodes.Usage, inner) { }

    public int ExitCode { get; }

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);

    public static CliException Config(string message) => new(message, ExitCodes.Config);

    public static CliException Unavailable(string message, Exception? inner = null) => new(message, ExitCodes.Unavailable, inner);
}
