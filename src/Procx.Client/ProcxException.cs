using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx.Client;

/// <summary>
/// What went wrong, classified by the executables' failure model: a setting to change (configuration), an
/// item that can never succeed (data), a provider that may answer later (transient: retry with backoff), or
/// a claim that is gone (lost). <see cref="ExitCode"/> is the code procx or pushx would have exited with.
/// The message names the setting to change and never holds a secret.
/// </summary>
public sealed class ProcxException : Exception
{
    /// <summary>A failure of <paramref name="kind"/>, with the exit code procx or pushx would have had.</summary>
    public ProcxException(FailureKind kind, string message, int exitCode, Exception? inner = null) : base(message, inner)
    {
        Kind = kind;
        ExitCode = exitCode;
    }

    /// <summary>An internal error (exit code 70).</summary>
    public ProcxException() : this(FailureKind.Bug, "procx client error", 70) { }

    /// <summary>An internal error (exit code 70).</summary>
    public ProcxException(string message) : this(FailureKind.Bug, message, 70) { }

    /// <summary>An internal error (exit code 70).</summary>
    public ProcxException(string message, Exception inner) : this(FailureKind.Bug, message, 70, inner) { }

    /// <summary>What kind of failure: what to do about it (change a setting, drop the item, retry later).</summary>
    public FailureKind Kind { get; }

    /// <summary>The exit code procx or pushx would have exited with (docs/cli.md#exit-codes).</summary>
    public int ExitCode { get; }

    /// <summary>Runs a driver call; its exceptions become a <see cref="ProcxException"/> (cancellation passes as it is).</summary>
    internal static async Task<T> Guard<T>(Func<Task<T>> call, IFailureTranslator? translator)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ProcxException and not OutOfMemoryException)
        {
            throw From(e, translator);
        }
    }

    internal static async Task Guard(Func<Task> call, IFailureTranslator? translator) =>
        await Guard(async () => { await call().ConfigureAwait(false); return true; }, translator).ConfigureAwait(false);

    internal static ProcxException From(Exception e, IFailureTranslator? translator)
    {
        var failure = Failure.Of(e, translator);
        return new ProcxException(failure.Kind, failure.Message, failure.ExitCode ?? FailurePolicy.ExitCode(failure.Kind), e);
    }
}
