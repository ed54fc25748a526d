using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// The items a redis-list worker took and has not settled yet, counted by value (two items may be equal).
/// When a move fails mid-flight — the server moved the item but the reply was lost with the connection —
/// the item sits in the worker's processing list without a job; while the worker lives, nobody else
/// recovers it (its heartbeat is fresh). Comparing the processing list with this count, on every
/// heartbeat, finds such items.
/// </summary>
internal sealed class RedisListHeldItems
{
    private readonly Dictionary<RedisValue, int> _counts = [];
    public void Add(RedisValue value)
    {
        lock (_counts)
        {
            _counts[value] = _counts.GetValueOrDefault(value) + 1;
        }
    }

    public void Remove(RedisValue value)
    {
        lock (_counts)
        {
            if (_counts.TryGetValue(value, out var n))
            {
                if (n <= 1)
                {
                    _counts.Remove(value);
                }
                else
                {
                    _counts[value] = n - 1;
                }
            }
        }
    }

    /// <summary>Each value in <paramref name="processing"/> beyond the count this worker holds, once per extra copy.</summary>
    public List<RedisValue> Orphans(IEnumerable<RedisValue> processing)
    {
        var orphans = new List<RedisValue>();
        lock (_counts)
        {
            foreach (var group in processing.GroupBy(v => v))
            {
                var extra = group.Count() - _counts.GetValueOrDefault(group.Key);
                orphans.AddRange(Enumerable.Repeat(group.Key, Math.Max(0, extra)));
            }
        }
        return orphans;
    }
}
