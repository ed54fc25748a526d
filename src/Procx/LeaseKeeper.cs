using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>Keeps an item's visibility timeout / ack deadline from running out while procx holds it (a child runs, or it waits out its backoff).</summary>
internal static class LeaseKeeper
{
    public static async Task KeepAsync(ISourceDriver source, WorkItem item, string job, ILog log, CancellationToken stop)
    {
        if (source is not ILeasedSource leased || leased.LeaseRenewalInterval <= TimeSpan.Zero)
        {
            return;
        }
        using var timer = new PeriodicTimer(leased.LeaseRenewalInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    await leased.RenewLeaseAsync(item, stop).ConfigureAwait(false);
                    log.Debug("lease renewed", ("job", job));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.Warn($"could not renew the lease: {ErrorText.Describe(e)}", ("job", job));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
