using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// Reads the stream <c>-redis-key</c> with a consumer group (XREADGROUP, blocking while a daemon waits), after
/// first claiming entries that have been pending longer than <c>-redis-stream-claim-idle</c> (XAUTOCLAIM):
/// entries left pending by <c>-redis-stream-fail-op=pending</c> or by a procx that died. The payload is the
/// entry as a JSON object of its fields (or of <c>-redis-stream-value-keys</c>); an entry whose only field is
/// <c>payload</c> is handed over as that field's bytes, unchanged. Clear and fail ack or ack-and-delete it;
/// fail may also leave it pending. The host renews the claim of a running job (<see cref="ILeasedSource"/>),
/// and after <c>-max-failures</c> deliveries dead-letters the entry to the stream <c>KEY:dead</c>. A released
/// entry (not attempted to the end) comes back at once with its delivery count unchanged: to this procx's next
/// fetch, or to another procx's claim if this one stops.
/// </summary>
internal sealed class RedisStreamSource : ISourceDriver, ILeasedSource, IDeadLetterSource
{
    private readonly RedisConnection _connection;
    private readonly RedisConnection _blocking;
    private readonly RedisConnectionFactory _factory;
    private readonly ILog _log;
    private readonly RedisKey _key;
    private readonly string _group;
    private readonly string _consumer;
    private readonly bool _consumerGenerated;
    private readonly string[] _valueKeys;
    private readonly string _clearOp;
    private readonly string _failOp;
    private readonly TimeSpan _claimIdle;
    private readonly SemaphoreSlim _blockingGate = new(1, 1);
    private readonly Lock _cursorGate = new();
    private readonly ConcurrentQueue<WorkItem> _released = new();
    private RedisValue _claimCursor = "0-0";
    private volatile bool _groupReady;

    public RedisStreamSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _factory = new RedisConnectionFactory(settings, _log);
        _key = _factory.Key;
        _group = settings.GetRequiredString(RedisStreamSettings.ConsumerGroup);
        _consumerGenerated = settings.GetString(RedisStreamSettings.ConsumerName) is not { Length: > 0 };
        _consumer = _consumerGenerated
            ? $"procx-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"
            : settings.GetString(RedisStreamSettings.ConsumerName)!;
        _valueKeys = (settings.GetString(RedisStreamSettings.ValueKeys) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _clearOp = settings.GetString(RedisStreamSettings.ClearOp) ?? "ack";
        _failOp = settings.GetString(RedisStreamSettings.FailOp) ?? "pending";
        _claimIdle = settings.GetDuration(RedisStreamSettings.ClaimIdle); // 100ms or more: the setting declares its range
        _connection = _factory.Create();
        _blocking = _factory.Create(blocking: true);
    }

    public TimeSpan LeaseRenewalInterval => _claimIdle / 3;

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadAsync(wait, cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsNoGroup(e))
        {
            // The stream or group went away (deleted, or a server restart without persistence): recreate it.
            _groupReady = false;
            await EnsureGroupAsync(cancellationToken).ConfigureAwait(false);
            return await ReadAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clearOp, cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _failOp, cancellationToken);

    /// <summary>Only ack and del take a failed entry out of the group's way; a pending one is claimed again.</summary>
    public bool FailSetsAside => _failOp is "ack" or "del";

    /// <summary>
    /// The entry stays pending to this consumer, but its idle time is set to -redis-stream-claim-idle (XCLAIM
    /// IDLE … JUSTID, which leaves the delivery count alone), so another procx's XAUTOCLAIM may take it at once
    /// when this one is stopping; this procx's own next fetch takes it back first (<see cref="TakeBackReleasedAsync"/>).
    /// </summary>
    public async Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        await _connection.RunAsync(
            db => db.ExecuteAsync("XCLAIM", _key, _group, _consumer, "0", item.Id!, "IDLE", ClaimIdleMs, "JUSTID"), cancellationToken).ConfigureAwait(false);
        _released.Enqueue(item);
    }

    private string ClaimIdleMs => ((long)_claimIdle.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    /// <summary>Resets the entry's idle time (XCLAIM to this consumer) so that no other procx claims it while it runs.</summary>
    public Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken) =>
        _connection.RunAsync(db => db.StreamClaimIdsOnlyAsync(_key, _group, _consumer, 0, [item.Id!]), cancellationToken);

    /// <summary>After -max-failures: copies the entry's fields to the stream <c>KEY:dead</c> and acks it, in one transaction.</summary>
    public Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var fields = (NameValueEntry[])item.DriverState!;
        RedisKey dead = $"{(string?)_key}:dead";
        return _connection.RunAsync(async db =>
        {
            var transaction = db.CreateTransaction();
            _ = transaction.StreamAddAsync(dead, [.. fields, new NameValueEntry("procx-source-id", item.Id)]);
            _ = transaction.StreamAcknowledgeAsync(_key, _group, item.Id!);
            return await transaction.ExecuteAsync().ConfigureAwait(false);
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_consumerGenerated && _groupReady)
        {
            try
            {
                // A generated consumer name is never used again: drop it unless it still holds entries.
                var pending = await _connection.RunAsync(db => db.StreamPendingMessagesAsync(_key, _group, 1, _consumer), CancellationToken.None).ConfigureAwait(false);
                if (pending.Length == 0)
                {
                    await _connection.RunAsync(db => db.StreamDeleteConsumerAsync(_key, _group, _consumer), CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Debug($"could not remove the consumer: {e.Message}");
            }
        }
        await _blocking.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _blockingGate.Dispose();
    }

    private async Task SettleAsync(WorkItem item, string op, CancellationToken cancellationToken)
    {
        var id = item.Id!;
        switch (op)
        {
            case "ack":
                await _connection.RunAsync(db => db.StreamAcknowledgeAsync(_key, _group, id), cancellationToken).ConfigureAwait(false);
                break;
            case "del":
                // XDEL alone would leave the id in the group's pending list for ever.
                await _connection.RunAsync(async db =>
                {
                    var transaction = db.CreateTransaction();
                    _ = transaction.StreamAcknowledgeAsync(_key, _group, id);
                    _ = transaction.StreamDeleteAsync(_key, [id]);
                    return await transaction.ExecuteAsync().ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                break;
            default:
                _log.Debug("left pending for a later claim", ("id", id), ("claim_idle", _claimIdle));
                break;
        }
    }

    private static bool IsNoGroup(RedisServerException e) => e.Message.StartsWith("NOGROUP", StringComparison.Ordinal);

    private static bool IsBusyGroup(RedisServerException e) => e.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal);

    private async Task EnsureGroupAsync(CancellationToken cancellationToken)
    {
        if (_groupReady)
        {
            return;
        }
        try
        {
            await _connection.RunAsync(db => db.StreamCreateConsumerGroupAsync(_key, _group, "0", createStream: true), cancellationToken, IsBusyGroup).ConfigureAwait(false);
        }
        catch (RedisServerException e) when (IsBusyGroup(e))
        {
            // Exists already.
        }
        _groupReady = true;
    }

    private async Task<WorkItem?> ReadAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (await TakeBackReleasedAsync(cancellationToken).ConfigureAwait(false) is { } released)
        {
            return released;
        }
        if (await ClaimIdleAsync(cancellationToken).ConfigureAwait(false) is { } claimed)
        {
            return claimed;
        }
        if (wait <= TimeSpan.Zero)
        {
            var entries = await _connection.RunAsync(db => db.StreamReadGroupAsync(_key, _group, _consumer, ">", 1), cancellationToken, IsNoGroup).ConfigureAwait(false);
            return entries.Length == 0 ? null : ToWorkItem(entries[0].Id, entries[0].Values.Select(v => (v.Name, v.Value)).ToList());
        }
        return await BlockingReadAsync(wait, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A released entry, claimed back (XCLAIM JUSTID: delivery count unchanged) only while it has stayed idle
    /// since the release: a claim by another procx (XAUTOCLAIM) resets the idle time, so it is never run twice.
    /// </summary>
    private async Task<WorkItem?> TakeBackReleasedAsync(CancellationToken cancellationToken)
    {
        while (_released.TryDequeue(out var item))
        {
            var claimed = await _connection.RunAsync(
                db => db.ExecuteAsync("XCLAIM", _key, _group, _consumer, ClaimIdleMs, item.Id!, "JUSTID"), cancellationToken, IsNoGroup).ConfigureAwait(false);
            if (claimed.Length == 1)
            {
                var fields = ((NameValueEntry[])item.DriverState!).Select(f => (f.Name, f.Value)).ToList();
                return ToWorkItem(item.Id!, fields, item.DeliveryCount);
            }
            _log.Debug("a released entry was claimed by another procx or settled meanwhile", ("id", item.Id));
        }
        return null;
    }

    /// <summary>One XAUTOCLAIM step; the cursor walks the pending list across calls.</summary>
    private async Task<WorkItem?> ClaimIdleAsync(CancellationToken cancellationToken)
    {
        RedisValue cursor;
        lock (_cursorGate)
        {
            cursor = _claimCursor;
        }
        var result = await _connection.RunAsync(
            db => db.StreamAutoClaimAsync(_key, _group, _consumer, (long)_claimIdle.TotalMilliseconds, cursor, 1), cancellationToken, IsNoGroup).ConfigureAwait(false);
        lock (_cursorGate)
        {
            _claimCursor = result.NextStartId.IsNullOrEmpty ? "0-0" : result.NextStartId;
        }
        foreach (var e in result.ClaimedEntries ?? [])
        {
            if (e.Id.IsNull || e.Values is null)
            {
                continue; // deleted from the stream meanwhile
            }
            _log.Info("claimed an entry left pending", ("id", (string?)e.Id), ("idle_over", _claimIdle));
            var pending = await _connection.RunAsync(db => db.StreamPendingMessagesAsync(_key, _group, 1, _consumer, e.Id, e.Id), cancellationToken).ConfigureAwait(false);
            return ToWorkItem(e.Id, e.Values.Select(v => (v.Name, v.Value)).ToList(), pending.Length == 1 ? pending[0].DeliveryCount : null);
        }
        return null;
    }

    /// <summary>XREADGROUP … BLOCK on a connection of its own, in slices, like redis-list's BLMOVE.</summary>
    private async Task<WorkItem?> BlockingReadAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        if (!await _blockingGate.WaitAsync(wait, cancellationToken).ConfigureAwait(false))
        {
            return await ReadAsync(TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
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
                var ms = Math.Max(1, (long)slice.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                var result = await _blocking.RunAsync(
                    db => db.ExecuteAsync("XREADGROUP", "GROUP", _group, _consumer, "COUNT", "1", "BLOCK", ms, "STREAMS", _key, ">"),
                    cancellationToken, IsNoGroup).ConfigureAwait(false);
                if (ParseRead(result) is { } entry)
                {
                    return ToWorkItem(entry.Id, entry.Fields);
                }
            }
            return null;
        }
        finally
        {
            _blockingGate.Release();
        }
    }

    /// <summary>XREADGROUP's reply: [[stream, [[id, [field, value, …]]]]], or nil after a timeout.</summary>
    private static (RedisValue Id, List<(RedisValue Name, RedisValue Value)> Fields)? ParseRead(RedisResult result)
    {
        if (result.IsNull || result.Length == 0)
        {
            return null;
        }
        var entries = result[0][1];
        if (entries.IsNull || entries.Length == 0)
        {
            return null;
        }
        var entry = entries[0];
        var pairs = entry[1];
        var fields = new List<(RedisValue, RedisValue)>();
        for (var i = 0; i + 1 < pairs.Length; i += 2)
        {
            fields.Add(((RedisValue)pairs[i], (RedisValue)pairs[i + 1]));
        }
        return ((RedisValue)entry[0], fields);
    }

    private WorkItem ToWorkItem(RedisValue id, List<(RedisValue Name, RedisValue Value)> fields, int? deliveryCount = 1)
    {
        byte[] bytes;
        if (_valueKeys.Length == 0 && fields.Count == 1 && fields[0].Name == RedisStreamSettings.PayloadField)
        {
            bytes = (byte[])fields[0].Value!;
        }
        else
        {
            bytes = ToJson(id, fields);
        }
        return new WorkItem(Payload.FromBytes(bytes))
        {
            Key = _key,
            Id = id,
            DeliveryCount = deliveryCount,
            DriverState = fields.Select(f => new NameValueEntry(f.Name, f.Value)).ToArray(),
        };
    }

    private byte[] ToJson(RedisValue id, List<(RedisValue Name, RedisValue Value)> fields)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_valueKeys.Length == 0)
            {
                foreach (var (name, value) in fields)
                {
                    json.WriteString((string)name!, (string?)value);
                }
            }
            else
            {
                foreach (var name in _valueKeys)
                {
                    var found = fields.FindIndex(f => f.Name == name);
                    if (found < 0)
                    {
                        _log.Warn("the entry has no such field; it is null in the payload", ("id", (string?)id), ("field", name));
                        json.WriteNull(name);
                    }
                    else
                    {
                        json.WriteString(name, (string?)fields[found].Value);
                    }
                }
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
