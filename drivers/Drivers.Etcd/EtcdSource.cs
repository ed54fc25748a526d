using System.Collections.Concurrent;
using System.Globalization;
using Drivers.Core.Contracts;
using Drivers.Core.Disposition;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;
using Drivers.Etcd.Gateway;

namespace Drivers.Etcd;

/// <summary>
/// Takes a key (or, with -etcd-with-prefix, the first unclaimed key under a prefix) and claims it, so that no
/// other procx runs it at the same time, which the original did not do. A claim is one transaction:
/// <c>if mod_revision(K) == seen and create_revision(claim K) == 0 then put claim K under a lease; get K</c>.
/// The lease (-etcd-claim-ttl) is kept alive by the host while the child runs (<see cref="ILeasedSource"/>);
/// if procx dies it lapses, the claim key goes with it, and another procx takes K. Clear and fail are one
/// transaction each, on the key taken and only while the claim is still ours (<c>lease(claim K) == ours</c>),
/// then the lease is revoked. With a wait (-daemon), an empty source is watched (new keys, claims that go)
/// instead of polled.
/// </summary>
internal sealed class EtcdSource : ISourceDriver, ILeasedSource
{
    /// <summary>How many keys past the claimed ones a fetch reads per round.</summary>
    private const int Lookahead = 16;

    private readonly EtcdGateway _gateway;
    private readonly ILog _log;
    private readonly byte[] _key;
    private readonly byte[]? _rangeEnd;
    private readonly byte[] _claimPrefix;
    private readonly byte[] _claimStart;
    private readonly long _ttlSeconds;
    private readonly EtcdOpPlan _clear;
    private readonly EtcdOpPlan _fail;
    private readonly KeyBook _book = new();
    private readonly ConcurrentDictionary<long, byte> _held = new();
    private readonly byte[] _identity;

    public EtcdSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _key = EtcdKeys.Bytes(settings.GetRequiredString(EtcdSettings.RetrieveKey));
        _claimPrefix = EtcdKeys.Bytes(settings.GetRequiredString(EtcdSettings.ClaimPrefix));
        _claimStart = ClaimKey(_key);
        if (settings.GetBool(EtcdSettings.WithPrefix))
        {
            _rangeEnd = EtcdKeys.PrefixEnd(_key);
            if (_key.Length == 0)
            {
                _key = [0];
            }
        }
        if (_rangeEnd is null && EtcdKeys.StartsWith(_key, _claimPrefix))
        {
            throw settings.Invalid(EtcdSettings.ClaimPrefix, "-etcd-retrieve-key lies under the claim prefix, where claims are kept");
        }
        _ttlSeconds = Math.Max(2, (long)Math.Ceiling(settings.GetDuration(EtcdSettings.ClaimTtl).TotalSeconds));
        _clear = new EtcdOpPlan(settings, EtcdSettings.Clear);
        _fail = new EtcdOpPlan(settings, EtcdSettings.Fail);
        _identity = EtcdKeys.Bytes($"{Environment.MachineName} pid {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        _gateway = new EtcdGateway(settings, context.Log);
    }

    /// <summary>A third of the TTL: two keep-alives may fail before the claim lapses.</summary>
    public TimeSpan LeaseRenewalInterval => TimeSpan.FromSeconds(_ttlSeconds / 3.0);

    /// <summary>A failed item moved out (mv) or deleted (rm) is out of the next fetch's way.</summary>
    public bool FailSetsAside => _fail.Op is EtcdOp.Move or EtcdOp.Remove;

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + wait;
        while (true)
        {
            var (item, revision) = await TryClaimAsync(cancellationToken).ConfigureAwait(false);
            var remaining = deadline - DateTime.UtcNow;
            if (item is not null || remaining <= TimeSpan.Zero)
            {
                return item;
            }
            // Nothing to take: wait for a key to be put in the range or a claim on it to go (released, lapsed).
            var changed = await _gateway.WatchAnyAsync(
            [
                new WatchCreateRequest { Key = _key, RangeEnd = _rangeEnd, StartRevision = revision + 1, Filters = ["NODELETE"] },
                new WatchCreateRequest { Key = _claimStart, RangeEnd = ClaimRangeEnd, StartRevision = revision + 1, Filters = ["NOPUT"] },
            ], remaining, cancellationToken).ConfigureAwait(false);
            if (!changed)
            {
                return null;
            }
        }
    }

    /// <summary>One round: the claimed keys, the first unclaimed ones after them, a claim transaction on each in turn.</summary>
    private async Task<(WorkItem? Item, long Revision)> TryClaimAsync(CancellationToken cancellationToken)
    {
        var claims = await _gateway.RangeAsync(new RangeRequest
        {
            Key = _claimStart,
            RangeEnd = ClaimRangeEnd,
            KeysOnly = true,
        }, cancellationToken).ConfigureAwait(false);
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var kv in claims.Kvs ?? [])
        {
            claimed.Add(EtcdKeys.Text(kv.Key![_claimPrefix.Length..]));
        }
        var limit = claimed.Count + Lookahead + (EtcdKeys.StartsWith(_claimPrefix, _key) ? claims.Kvs?.Count ?? 0 : 0);
        long revision = 0;
        long lease = 0;
        var from = _key;
        try
        {
            while (true)
            {
                var page = await _gateway.RangeAsync(new RangeRequest
                {
                    Key = from,
                    RangeEnd = _rangeEnd,
                    KeysOnly = true,
                    Limit = _rangeEnd is null ? null : limit,
                }, cancellationToken).ConfigureAwait(false);
                if (revision == 0)
                {
                    revision = page.Header?.Revision ?? 0; // the watch starts after the first listing
                }
                var open = (page.Kvs ?? [])
                    .Where(kv => kv.Key is not null && !EtcdKeys.StartsWith(kv.Key, _claimPrefix))
                    .Select(kv => (Kv: kv, Text: EtcdKeys.Text(kv.Key!)))
                    .Where(c => !claimed.Contains(c.Text) && _book.IsAvailable(c.Text))
                    .OrderBy(c => _book.FailedLast(c.Text)) // stable: key order otherwise
                    .ToList();
                foreach (var (kv, text) in open)
                {
                    if (lease == 0)
                    {
                        var grant = await _gateway.LeaseGrantAsync(_ttlSeconds, cancellationToken).ConfigureAwait(false);
                        if (grant.Id == 0 || grant.Error is { Length: > 0 })
                        {
                            throw DriverException.Transient($"etcd at {_gateway.Endpoint} granted no lease for a claim: {grant.Error}");
                        }
                        lease = grant.Id;
                    }
                    var claimKey = ClaimKey(kv.Key!);
                    var txn = await _gateway.TxnAsync(new TxnRequest
                    {
                        Compare = [Compare.ModRevisionIs(kv.Key!, kv.ModRevision), Compare.Absent(claimKey)],
                        Success =
                        [
                            new RequestOp { Put = new PutRequest { Key = claimKey, Value = _identity, Lease = lease } },
                            new RequestOp { Range = new RangeRequest { Key = kv.Key } },
                        ],
                    }, cancellationToken).ConfigureAwait(false);
                    if (!txn.Succeeded || txn.Responses is not [_, { Range.Kvs: [var taken] }])
                    {
                        continue; // another procx claimed it, or it changed since it was listed
                    }
                    _held[lease] = 0;
                    _book.TryTake(text);
                    var value = taken.Value ?? [];
                    var claim = new Claim(kv.Key!, claimKey, lease, taken.ModRevision, value);
                    lease = 0; // handed to the item
                    return (new WorkItem(Payload.FromBytes(value))
                    {
                        Key = text,
                        Id = claim.ModRevision.ToString(CultureInfo.InvariantCulture),
                        TemplateData = TemplateData.FromPayloadBytes(value).With("key", text),
                        DriverState = claim,
                    }, revision);
                }
                // Every key of this page is claimed or done here: page on (keys cleared in place may fill it).
                if (_rangeEnd is null || !page.More || page.Kvs is not { Count: > 0 } listed)
                {
                    return (null, revision);
                }
                from = [.. listed[^1].Key!, 0];
            }
        }
        finally
        {
            if (lease != 0)
            {
                await RevokeQuietlyAsync(lease).ConfigureAwait(false);
            }
        }
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, failed: false, cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, failed: true, cancellationToken);

    /// <summary>Gives the claim up: the lease is revoked, the claim key goes, the key is taken again at once.</summary>
    public async Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var claim = (Claim)item.DriverState!;
        await _gateway.LeaseRevokeAsync(claim.Lease, cancellationToken).ConfigureAwait(false);
        _held.TryRemove(claim.Lease, out _);
        _book.Settled(item.Key!, failed: false);
    }

    private async Task SettleAsync(WorkItem item, EtcdOpPlan plan, bool failed, CancellationToken cancellationToken)
    {
        var claim = (Claim)item.DriverState!;
        var operations = plan.Operations(claim.Key, claim.Value, item.TemplateData ?? TemplateData.Empty, InRange, out var leftInRange);
        if (operations.Count > 0)
        {
            operations.Add(new RequestOp { Delete = new DeleteRangeRequest { Key = claim.ClaimKey } });
            var txn = await _gateway.TxnAsync(new TxnRequest
            {
                // Only while the claim is still ours: after it lapsed another procx may be running the key.
                Compare = [Compare.LeaseIs(claim.ClaimKey, claim.Lease), Compare.ModRevisionIs(claim.Key, claim.ModRevision)],
                Success = operations,
            }, cancellationToken).ConfigureAwait(false);
            if (!txn.Succeeded)
            {
                await RevokeQuietlyAsync(claim.Lease).ConfigureAwait(false);
                _held.TryRemove(claim.Lease, out _);
                _book.Settled(item.Key!, failed);
                throw DriverException.Lost($"the claim on etcd key '{item.Key}' lapsed, or the key changed, before it could be {(failed ? "failed" : "cleared")}: left as it is (raise -etcd-claim-ttl if jobs outlive it)");
            }
        }
        await _gateway.LeaseRevokeAsync(claim.Lease, cancellationToken).ConfigureAwait(false);
        _held.TryRemove(claim.Lease, out _);
        if (!failed && leftInRange && plan.Op != EtcdOp.Move)
        {
            // Left where work is taken from (no clear op, or put), as in the original: not run again by this procx.
            _book.ClearedInPlace(item.Key!);
        }
        _book.Settled(item.Key!, failed);
    }

    public async Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var claim = (Claim)item.DriverState!;
        if (await _gateway.LeaseKeepAliveAsync(claim.Lease, cancellationToken).ConfigureAwait(false) <= 0)
        {
            throw DriverException.Lost($"the claim on etcd key '{item.Key}' lapsed (its lease is gone): another procx may take it");
        }
    }

    /// <summary>Claims still held are given up, so a stopped procx's keys are taken again at once, not after the TTL.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var lease in _held.Keys.ToArray())
        {
            await RevokeQuietlyAsync(lease).ConfigureAwait(false);
        }
        _gateway.Dispose();
    }

    private async Task RevokeQuietlyAsync(long lease)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _gateway.LeaseRevokeAsync(lease, cts.Token).ConfigureAwait(false);
            _held.TryRemove(lease, out _);
        }
        catch (Exception e) when (e is DriverException or OperationCanceledException)
        {
            _log.Warn("could not revoke a claim's lease; the claim lapses after -etcd-claim-ttl", ("error", e.Message));
        }
    }

    private bool InRange(byte[] key) => EtcdKeys.InRange(key, _key, _rangeEnd) && !EtcdKeys.StartsWith(key, _claimPrefix);

    private byte[]? ClaimRangeEnd => _rangeEnd is null ? null : EtcdKeys.PrefixEnd(_claimStart);

    private byte[] ClaimKey(byte[] key) => [.. _claimPrefix, .. key];

    /// <summary>What settling a taken key needs: the key, its claim, the claim's lease, the revision and value seen.</summary>
    private sealed record Claim(byte[] Key, byte[] ClaimKey, long Lease, long ModRevision, byte[] Value);
}
