namespace Procx;

/// <summary>
/// Exponential backoff with jitter, one formula for fetch retries, settle retries and failed items: the
/// n-th attempt waits <c>initial × 2^(n-1)</c>, capped at <c>max</c>, then ±20% so that workers that failed
/// together do not retry together.
/// </summary>
internal static class Backoff
{
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan max)
    {
        if (initial <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = Math.Min(initial.Ticks * Math.Pow(2, exponent), max.Ticks);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }

    /// <summary>Waits (for ever with <see cref="Timeout.InfiniteTimeSpan"/>), or returns early (without throwing) when <paramref name="stopping"/> fires.</summary>
    public static async Task SleepAsync(TimeSpan delay, CancellationToken stopping)
    {
        if (delay <= TimeSpan.Zero && delay != Timeout.InfiniteTimeSpan)
        {
            return;
        }
        try
        {
            await Task.Delay(delay, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
