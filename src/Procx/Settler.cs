using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>What became of one settle step (clear, fail, dead-letter, release).</summary>
internal readonly record struct SettleResult(FailureDecision? Decision, Failure? Failure)
{
    public static SettleResult Done => default;

    public bool Succeeded => Decision is null;
}

/// <summary>
/// Runs one settle step under the failure policy: a transient error is retried with backoff — a few times
/// in one-shot mode, for up to <see cref="DaemonRetryBudget"/> in a daemon — and a shutdown cuts the retries
/// short; anything else is returned at once for the job to act on. The first try builds nothing, so a one-shot
/// job pays for the retry machinery only when a settle fails.
/// </summary>
internal sealed class Settler(IFailureTranslator? translator, ILog log, bool daemon, CancellationToken stopping)
{
    /// <summary>How long a daemon keeps retrying one settle: long enough for a broker restart, short enough
    /// that a worker never wedges on a settle that will not come back.</summary>
    public static readonly TimeSpan DaemonRetryBudget = TimeSpan.FromSeconds(60);

    private const int OneShotAttempts = 4;

    public async Task<SettleResult> RunAsync(JobPhase phase, Func<CancellationToken, Task> step, string job)
    {
        var started = DateTime.UtcNow;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step(attempt == 1 ? CancellationToken.None : stopping).ConfigureAwait(false);
                if (attempt > 1)
                {
                    log.Info($"{Describe(phase)} succeeded after {attempt} tries", ("job", job));
                }
                return SettleResult.Done;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var failure = Failure.Of(e, translator);
                var decision = failure.Decide(phase);
                if (decision.Action != FailureAction.Retry)
                {
                    return new SettleResult(decision, failure);
                }
                var budgetLeft = daemon ? DateTime.UtcNow - started < DaemonRetryBudget : attempt < OneShotAttempts;
                if (!budgetLeft || stopping.IsCancellationRequested)
                {
                    return new SettleResult(FailurePolicy.AfterRetries(phase), failure);
                }
                log.Warn($"could not {Describe(phase)} the work, retrying: {failure.Message}", ("job", job), ("attempt", attempt));
                await Backoff.SleepAsync(Backoff.Delay(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10)), stopping).ConfigureAwait(false);
            }
        }
    }

    private static string Describe(JobPhase phase) => phase switch
    {
        JobPhase.Clear => "clear",
        JobPhase.Fail => "fail",
        _ => phase.ToString().ToLowerInvariant(),
    };
}
