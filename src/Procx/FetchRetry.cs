using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>
/// In -daemon mode a source that cannot be reached is retried with exponential backoff and jitter
/// instead of ending the daemon; the outage and the recovery are each logged once.
/// Configuration errors (<see cref="CliException"/> with a usage/config code) are not retried.
/// </summary>
internal sealed class FetchRetry(ILog log)
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    private TimeSpan _delay = First;
    private bool _failing;

    public async Task<WorkItem?> FetchAsync(ISourceDriver source, TimeSpan wait, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var item = await Worker.FetchAsync(source, wait, stopping).ConfigureAwait(false);
                if (_failing)
                {
                    log.Info("source reachable again");
                    _failing = false;
                    _delay = First;
                }
                return item;
            }
            catch (Exception e) when (IsTransient(e))
            {
                if (!_failing)
                {
                    log.Warn($"cannot fetch from the source, retrying with backoff: {e.Message}");
                    _failing = true;
                }
                var jittered = _delay * (0.5 + Random.Shared.NextDouble());
                await Worker.Sleep(jittered, stopping).ConfigureAwait(false);
                _delay = TimeSpan.FromTicks(Math.Min(Max.Ticks, _delay.Ticks * 2));
            }
        }
        return null;
    }

    private static bool IsTransient(Exception e) =>
        e is not OperationCanceledException and not OutOfMemoryException
        && e is not CliException { ExitCode: ExitCodes.Usage or ExitCodes.Config or ExitCodes.DataError };
}
