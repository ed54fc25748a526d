using System.Globalization;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// Takes items from the head of the list <c>-redis-key</c> reliably. The original LPOPped, so an item was
/// lost when the child failed or procx died. Here each procx (a "worker") moves the item atomically into its
/// own processing list <c>KEY:processing:WORKER</c> (LMOVE, or BLMOVE while a daemon waits); clear removes
/// it there (LREM), fail puts it back at the head of the list (one Lua script). Each worker keeps a heartbeat
/// key <c>KEY:heartbeat:WORKER</c> alive (TTL <c>-redis-list-lease</c>, refreshed every third of it) and is
/// listed in the set <c>KEY:workers</c>. At start-up and on every heartbeat each procx returns the items of
/// workers whose heartbeat has expired (crashed, killed) to the head of the list, in their original order,
/// and the items in its own processing list that no job holds (a move whose reply was lost with the connection).
/// A clean exit returns the worker's own unsettled items at once. Delivery is at least once. After
/// <c>-max-failures</c> the host dead-letters an item to the list <c>KEY:dead</c>.
/// </summary>
internal sealed class RedisListSource : ISourceDriver, IDeadLetterSource
{
    private readonly RedisConnection _connection;
    private readonly RedisConnection _blocking;
    private readonly ILog _log;
    private readonly string _key;
    private readonly string _worker;
    private readonly TimeSpan _lease;
    private readonly SemaphoreSlim _blockingGate = new(1, 1);
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly RedisListHeldItems _held = new();
    private Task? _heartbeat;

    public RedisListSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        var factory = new RedisConnectionFactory(settings, _log);
        _key = factory.Key;
        _lease = settings.GetDuration(RedisListSettings.Lease); // 1s or more: the setting declares its range
        _worker = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        _connection = factory.Create();
        _blocking = factory.Create(blocking: true);
    }

    private RedisKey List => _key;

    private RedisKey WorkersKey => $"{_key}:workers";

    private RedisKey DeadKey => $"{_key}:dead";

    private RedisKey Processing(string worker) => $"{_key}:processing:{worker}";

    private RedisKey Heartbeat(string worker) => $"{_key}:heartbeat:{worker}";

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var value = wait > TimeSpan.Zero
            ? await BlockingMoveAsync(wait, cancellationToken).ConfigureAwait(false)
            : await _connection.RunAsync(db => db.ListMoveAsync(List, Processing(_worker), ListSide.Left, ListSide.Left), cancellationToken).ConfigureAwait(false);
        if (value.IsNull)
        {
            return null;
        }
        // The client library read the value into one array; the payload is that array, never a copy.
        var bytes = (byte[])value!;
        var digest = RedisListHeldItems.Digest(bytes);
        _held.Add(digest);
        if (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: hand the item straight back rather than leave it for the lease to expire.
            await PutBackAsync(digest).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        // A list item has no id of its own; its content hash names it (logs, the host's failure count).
        var id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes).AsSpan(0, 8));
        return new WorkItem(Payload.FromBytes(bytes)) { Key = _key, Id = id, DriverState = digest };
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync((string)item.DriverState!, RedisListScripts.Remove, Processing(_worker), warnIfGone: true, cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => PutBackAsync((string)item.DriverState!, cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => PutBackAsync((string)item.DriverState!, cancellationToken);

    /// <summary>After -max-failures: moves the item from the processing list to the tail of the list <c>KEY:dead</c>.</summary>
    public Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync((string)item.DriverState!, RedisListScripts.ToTail, DeadKey, warnIfGone: false, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_heartbeat is { } heartbeat)
        {
            await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                // A clean exit hands back anything this worker still holds (a job never settled, a reply lost).
                var returned = await RecoverAsync(_worker, force: true, CancellationToken.None).ConfigureAwait(false);
                if (returned > 0)
                {
                    _log.Warn("returned unsettled items to the list", ("key", _key), ("count", returned));
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Warn($"could not return this worker's items at exit; another procx will after -redis-list-lease: {e.Message}", ("key", _key));
            }
        }
        await _blocking.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _blockingGate.Dispose();
        _startGate.Dispose();
    }

    /// <summary>Puts the item back at the head of the list; only an item still held (no duplicate after a recovery).</summary>
    private Task PutBackAsync(string digest, CancellationToken cancellationToken = default) =>
        SettleAsync(digest, RedisListScripts.ToHead, List, warnIfGone: true, cancellationToken);

    private async Task SettleAsync(string digest, string op, RedisKey target, bool warnIfGone, CancellationToken cancellationToken)
    {
        var found = await SettleOnServerAsync(digest, op, target, cancellationToken).ConfigureAwait(false);
        _held.Remove(digest);
        if (!found && warnIfGone)
        {
            _log.Warn("the item was no longer in this worker's processing list (its lease lapsed and another procx returned it to the list)", ("key", _key));
        }
    }

    private async Task<bool> SettleOnServerAsync(string digest, string op, RedisKey target, CancellationToken cancellationToken)
    {
        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(RedisListScripts.Settle, [Processing(_worker), target], [digest, op]), cancellationToken).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <summary>Once: register this worker's heartbeat, recover dead workers' items, start the heartbeat loop.</summary>
    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _heartbeat) is not null)
        {
            return;
        }
        await _startGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_heartbeat is not null)
            {
                return;
            }
            await BeatAsync(cancellationToken).ConfigureAwait(false);
            await RecoverDeadWorkersAsync(cancellationToken).ConfigureAwait(false);
            _heartbeat = Task.Run(HeartbeatLoopAsync, CancellationToken.None);
        }
        finally
        {
            _startGate.Release();
        }
    }

    private Task BeatAsync(CancellationToken cancellationToken) =>
        _connection.RunAsync(db => db.ScriptEvaluateAsync(RedisListScripts.Register, [Heartbeat(_worker), WorkersKey], [_worker, (long)_lease.TotalMilliseconds]), cancellationToken);

    private async Task HeartbeatLoopAsync()
    {
        using var timer = new PeriodicTimer(_lease / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await BeatAsync(_stopping.Token).ConfigureAwait(false);
                    await RecoverDeadWorkersAsync(_stopping.Token).ConfigureAwait(false);
                    await ReturnOrphansAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
                {
                    _log.Warn($"redis-list heartbeat failed; retrying: {e.Message}", ("key", _key));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Returns to the list the items in this worker's processing list that no job holds (a move whose reply
    /// was lost). An item counts only if it is unheld twice, a second (at most a third of the lease) apart: a
    /// move still on its way back is registered by then. Only when the list is longer than what this worker
    /// holds are digests compared (the server hashes the items; their values never travel).
    /// </summary>
    private async Task ReturnOrphansAsync(CancellationToken cancellationToken)
    {
        var first = await OrphansAsync(cancellationToken).ConfigureAwait(false);
        if (first.Count == 0)
        {
            return;
        }
        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, _lease.TotalMilliseconds / 3)), cancellationToken).ConfigureAwait(false);
        var second = await OrphansAsync(cancellationToken).ConfigureAwait(false);
        var returned = 0;
        foreach (var digest in second.Where(first.Remove))
        {
            returned += await SettleOnServerAsync(digest, RedisListScripts.ToHead, List, cancellationToken).ConfigureAwait(false) ? 1 : 0;
        }
        if (returned > 0)
        {
            _log.Warn("returned items this worker held without a job (a move whose reply was lost) to the list", ("key", _key), ("count", returned));
        }
    }

    private async Task<List<string>> OrphansAsync(CancellationToken cancellationToken)
    {
        var length = await _connection.RunAsync(db => db.ListLengthAsync(Processing(_worker)), cancellationToken).ConfigureAwait(false);
        if (length <= _held.Count)
        {
            return [];
        }
        var digests = await _connection.RunAsync(db => db.ScriptEvaluateAsync(RedisListScripts.Digests, [Processing(_worker)]), cancellationToken).ConfigureAwait(false);
        return _held.Orphans(((string?[]?)digests ?? []).OfType<string>());
    }

    private async Task RecoverDeadWorkersAsync(CancellationToken cancellationToken)
    {
        var workers = await _connection.RunAsync(db => db.SetMembersAsync(WorkersKey), cancellationToken).ConfigureAwait(false);
        foreach (var worker in workers.Select(w => w.ToString()).Where(w => w != _worker))
        {
            var returned = await RecoverAsync(worker, force: false, cancellationToken).ConfigureAwait(false);
            if (returned > 0)
            {
                _log.Warn("returned the items of a worker whose lease lapsed to the list", ("key", _key), ("worker", worker), ("count", returned));
            }
        }
    }

    private async Task<long> RecoverAsync(string worker, bool force, CancellationToken cancellationToken)
    {
        var result = await _connection.RunAsync(
            db => db.ScriptEvaluateAsync(RedisListScripts.Recover, [List, Processing(worker), Heartbeat(worker), WorkersKey], [worker, force ? "force" : "check"]),
            cancellationToken).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>
    /// BLMOVE on a connection of its own (a blocking command would stall every other command multiplexed on
    /// the shared one), in slices of at most <see cref="RedisConnection.MaxBlock"/> so shutdown stays prompt.
    /// </summary>
    private async Task<RedisValue> BlockingMoveAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        if (!await _blockingGate.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
        {
            // Another fetch of this procx is already blocking: answer without blocking.
            return await _connection.RunAsync(db => db.ListMoveAsync(List, Processing(_worker), ListSide.Left, ListSide.Left), cancellationToken).ConfigureAwait(false);
        }
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var remaining = deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }
                var slice = remaining < RedisConnection.MaxBlock ? remaining : RedisConnection.MaxBlock;
                var seconds = Math.Max(0.01, slice.TotalSeconds).ToString("0.###", CultureInfo.InvariantCulture);
                var result = await _blocking.RunAsync(
                    db => db.ExecuteAsync("BLMOVE", List, Processing(_worker), "LEFT", "LEFT", seconds), cancellationToken).ConfigureAwait(false);
                if (!result.IsNull)
                {
                    return (RedisValue)result;
                }
            }
            return RedisValue.Null;
        }
        finally
        {
            _blockingGate.Release();
        }
    }
}
