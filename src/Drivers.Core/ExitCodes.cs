namespace Drivers.Core;

/// <summary>
/// procx's and pushx's own exit codes (BSD sysexits). A one-shot procx whose child failed exits with the
/// child's code instead; docs/exit-codes.md lists them all.
/// </summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>Unknown flag or driver, malformed value.</summary>
    public const int Usage = 64;

    /// <summary>The payload cannot be delivered the way asked (too large or binary for an env var or argument).</summary>
    public const int DataError = 65;

    /// <summary>pushx has no input: the -in-file does not exist, or stdin is closed and neither -in nor -in-file is set.</summary>
    public const int NoInput = 66;

    /// <summary>The source or sink could not be reached or refused the request.</summary>
    public const int Unavailable = 69;

    /// <summary>A bug in procx/pushx itself.</summary>
    public const int Internal = 70;

    /// <summary>pushx cannot open its -out (missing folder, permission, stdout closed): nothing was pushed (EX_CANTCREAT).</summary>
    public const int OutputNotOpened = 73;

    /// <summary>Local I/O failed (payload file; procx's stdout closed or its reader gone).</summary>
    public const int IoError = 74;

    /// <summary>Clearing or failing the work failed after the child ran: the work will be seen again.</summary>
    public const int TempFail = 75;

    /// <summary>pushx pushed the input, but writing it to -out failed afterwards: do not push it again.</summary>
    public const int PushedButTeeFailed = 76;

    /// <summary>A required setting is missing or settings contradict each other.</summary>
    public const int Config = 78;

    /// <summary>The child ran longer than <c>-timeout</c> and was stopped (as GNU timeout(1)).</summary>
    public const int Timeout = 124;

    /// <summary>The child command could not be started (not found, not executable).</summary>
    public const int ChildNotStartable = 127;

    /// <summary>Killed by <paramref name="signal"/>: the shell convention 128 + n.</summary>
    public static int FromSignal(int signal) => 128 + signal;
}
