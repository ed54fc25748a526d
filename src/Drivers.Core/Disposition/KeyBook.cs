namespace Drivers.Core.Disposition;

/// <summary>
/// What one process knows about the keys of a listed source (a folder, a bucket) that the listing does not
/// say: which it is running now, which failed here (tried again only after the others, so one bad key
/// cannot block a daemon), and which were cleared but left in place (no clear op: never taken again).
/// Thread-safe: -concurrency fetches and settles run side by side.
/// </summary>
public sealed class KeyBook
{
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failedHere = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clearedInPlace = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Not running here and not cleared in place.</summary>
    public bool IsAvailable(string key)
    {
        lock (_gate)
        {
            return !_inFlight.Contains(key) && !_clearedInPlace.Contains(key);
        }
    }

    /// <summary>Marks the key running here; false when it is not available.</summary>
    public bool TryTake(string key)
    {
        lock (_gate)
        {
            return !_clearedInPlace.Contains(key) && _inFlight.Add(key);
        }
    }

    /// <summary>A taken key that was not handed out after all (gone since the listing).</summary>
    public void Release(string key)
    {
        lock (_gate)
        {
            _inFlight.Remove(key);
        }
    }

    public void ClearedInPlace(string key)
    {
        lock (_gate)
        {
            _clearedInPlace.Add(key);
        }
    }

    /// <summary>The job of <paramref name="key"/> is settled: no longer running; remembered as failed or not.</summary>
    public void Settled(string key, bool failed)
    {
        lock (_gate)
        {
            _inFlight.Remove(key);
            if (failed)
            {
                _failedHere.Add(key);
            }
            else
            {
                _failedHere.Remove(key);
            }
        }
    }

    /// <summary>0 for keys to try first, 1 for keys that failed in this process: an ordering key.</summary>
    public int FailedLast(string key)
    {
        lock (_gate)
        {
            return _failedHere.Contains(key) ? 1 : 0;
        }
    }
}
