using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;

namespace Drivers.FileSystem;

/// <summary>
/// The payload comes from procx's own <c>PROCX_PAYLOAD</c> (or <c>-payload</c>), once: a daemon does not
/// run the same payload forever as the original did. Nothing to clear; a failed payload cannot be requeued.
/// </summary>
internal sealed class LocalSource(DriverContext context) : ISourceDriver
{
    public static readonly Setting PayloadSetting = new("payload", "The payload itself (env PROCX_PAYLOAD, as in the original)") { Secret = false };

    private readonly string? _payload = context.Settings.IsSet(PayloadSetting) ? context.Settings.GetString(PayloadSetting) : null;
    private int _taken;

    public Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_payload is null || Interlocked.Exchange(ref _taken, 1) != 0)
        {
            return Task.FromResult<WorkItem?>(null);
        }
        return Task.FromResult<WorkItem?>(new WorkItem(Payload.FromBytes(Encoding.UTF8.GetBytes(_payload))) { Key = "local" });
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken)
    {
        context.Log.Warn("local payload failed; it stays in PROCX_PAYLOAD for the next run");
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
