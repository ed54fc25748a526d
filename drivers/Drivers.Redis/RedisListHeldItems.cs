using System.Security.Cryptography;

namespace Drivers.Redis;

/// <summary>
/// The items a redis-list worker took and has not settled yet, counted by digest (two items may be equal).
/// When a move fails mid-flight — the server moved the item but the reply was lost with the connection —
/// the item sits in the worker's processing list without a job; while the worker lives, nobody else
/// recovers it (its heartbeat is fresh). Comparing the processing list's digests with these counts finds
/// such items.
/// An item is known by its digest, <c>LENGTH:SHA1</c>, not by its value: a settle then names the item in a
/// few bytes (a script on the server finds it, <see cref="RedisListScripts"/>), where sending the value back
/// cost a second copy of it in memory and on the wire, and hashing a <c>RedisValue</c> decoded it to a string.
/// </summary>
internal sealed class RedisListHeldItems
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);
    private int _total;

    /// <summary>The digest of a value as <see cref="RedisListScripts"/> computes it on the server.</summary>
    public static string Digest(ReadOnlySpan<byte> value) => $"{value.Length}:{Convert.ToHexStringLower(SHA1.HashData(value))}";

    /// <summary>How many items this worker holds.</summary>
    public int Count
    {
        get
        {
            lock (_counts)
            {
                return _total;
            }
        }
    }

    public void Add(string digest)
    {
        lock (_counts)
        {
            _counts[digest] = _counts.GetValueOrDefault(digest) + 1;
            _total++;
        }
    }

    public void Remove(string digest)
    {
        lock (_counts)
        {
            if (_counts.TryGetValue(digest, out var n))
            {
                _total--;
                if (n <= 1)
                {
                    _counts.Remove(digest);
                }
                else
                {
                    _counts[digest] = n - 1;
                }
            }
        }
    }

    /// <summary>Each digest in <paramref name="processing"/> beyond the count this worker holds, once per extra copy.</summary>
    public List<string> Orphans(IEnumerable<string> processing)
    {
        var orphans = new List<string>();
        lock (_counts)
        {
            foreach (var group in processing.GroupBy(d => d, StringComparer.Ordinal))
            {
                var extra = group.Count() - _counts.GetValueOrDefault(group.Key);
                orphans.AddRange(Enumerable.Repeat(group.Key, Math.Max(0, extra)));
            }
        }
        return orphans;
    }
}
