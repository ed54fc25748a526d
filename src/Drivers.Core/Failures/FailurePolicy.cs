using Drivers.Core.Contracts;

namespace Drivers.Core.Failures;

/// <summary>Where in a job (or a push) something went wrong.</summary>
public enum JobPhase
{
    /// <summary>Taking work from the source.</summary>
    Fetch,
    /// <summary>Getting the payload to the child: env var, argument, payload file, stdout without a command.</summary>
    Deliver,
    /// <summary>Starting and waiting for the child.</summary>
    Run,
    /// <summary>Clearing the work after the child succeeded.</summary>
    Clear,
    /// <summary>Failing (or dead-lettering) the work after the child failed.</summary>
    Fail,
    /// <summary>pushx sending its input to the sink.</summary>
    Push,
}

/// <summary>What the host does about a failure.</summary>
public enum FailureAction
{
    /// <summary>Try the same step again after a backoff (bounded; a shutdown cancels it).</summary>
    Retry,
    /// <summary>Fail the item (counted toward -max-failures, backoff before it is seen again) and go on.</summary>
    FailItem,
    /// <summary>Hand the item back untouched (not a failure) and go on.</summary>
    ReleaseItem,
    /// <summary>Keep the item held by this process (so it is not fetched again) until procx exits; log an error.</summary>
    ParkItem,
    /// <summary>Settle nothing: the source offers the item again by its own rules (lease, pending list, rollback).</summary>
    LeaveItem,
    /// <summary>Stop the worker: nothing will succeed until a person changes a setting. The item is released.</summary>
    Stop,
}

/// <summary>One decision of the table: what to do and the exit code a one-shot run (or a stopping daemon) ends with.</summary>
public readonly record struct FailureDecision(FailureAction Action, int ExitCode);

/// <summary>
/// The one table that maps a failure's kind and phase to what happens to the item and the exit code. Drivers
/// only say what went wrong (<see cref="FailureKind"/>); everything procx and pushx do about it is here, and
/// docs/cli.md prints the same table.
/// </summary>
public static class FailurePolicy
{
    public static FailureDecision Decide(FailureKind kind, JobPhase phase) => (kind, phase) switch
    {
        // A wrong setting: every item would fail the same way. Stop, leave the item recoverable.
        (FailureKind.Configuration, _) => new(FailureAction.Stop, ExitCodes.Config),

        // An item that can never succeed as it is.
        (FailureKind.Data, JobPhase.Fetch) => new(FailureAction.Retry, ExitCodes.DataError),
        (FailureKind.Data, JobPhase.Deliver or JobPhase.Run or JobPhase.Clear) => new(FailureAction.FailItem, ExitCodes.DataError),
        (FailureKind.Data, JobPhase.Fail) => new(FailureAction.ParkItem, ExitCodes.DataError),
        (FailureKind.Data, JobPhase.Push) => new(FailureAction.Stop, ExitCodes.DataError),

        // The provider (or the local disk) is not answering for now.
        (FailureKind.Transient, JobPhase.Fetch or JobPhase.Clear or JobPhase.Fail) => new(FailureAction.Retry, ExitCodes.Unavailable),
        // pushx does not push twice on its own: a push that may have landed is for the caller to retry.
        (FailureKind.Transient, JobPhase.Push) => new(FailureAction.Stop, ExitCodes.Unavailable),
        (FailureKind.Transient, JobPhase.Deliver or JobPhase.Run) => new(FailureAction.ReleaseItem, ExitCodes.IoError),

        // The claim is gone: whatever we did now could act on an item another worker holds.
        (FailureKind.Lost, JobPhase.Fetch) => new(FailureAction.Retry, ExitCodes.TempFail),
        (FailureKind.Lost, _) => new(FailureAction.LeaveItem, ExitCodes.TempFail),

        // A bug: the item is failed (so -max-failures ends a loop on it), a fetch or push bug stops the tool.
        (FailureKind.Bug, JobPhase.Fetch or JobPhase.Push) => new(FailureAction.Stop, ExitCodes.Internal),
        (FailureKind.Bug, JobPhase.Deliver or JobPhase.Run) => new(FailureAction.FailItem, ExitCodes.Internal),
        (FailureKind.Bug, _) => new(FailureAction.LeaveItem, ExitCodes.Internal),

        _ => new(FailureAction.Stop, ExitCodes.Internal),
    };

    /// <summary>The exit code for a failure outside any job: at start-up, or one that ends the tool.</summary>
    public static int ExitCode(FailureKind kind) => kind switch
    {
        FailureKind.Configuration => ExitCodes.Config,
        FailureKind.Data => ExitCodes.DataError,
        FailureKind.Transient => ExitCodes.Unavailable,
        FailureKind.Lost => ExitCodes.TempFail,
        _ => ExitCodes.Internal,
    };

    /// <summary>What a step does once its retries are used up (or a shutdown cut them short).</summary>
    public static FailureDecision AfterRetries(JobPhase phase) => phase switch
    {
        JobPhase.Clear or JobPhase.Fail => new(FailureAction.LeaveItem, ExitCodes.TempFail),
        _ => new(FailureAction.Stop, ExitCodes.Unavailable),
    };
}
