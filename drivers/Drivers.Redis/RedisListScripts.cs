namespace Drivers.Redis;

/// <summary>
/// The Lua scripts of redis-list's reliable queue (see <see cref="RedisListSource"/>). Items are named by
/// their digest <c>LENGTH:SHA1</c> (<see cref="RedisListHeldItems.Digest"/>): a settle sends those few bytes
/// and the server finds the item in the worker's processing list, so a large item is never sent back.
/// </summary>
internal static class RedisListScripts
{
    /// <summary>Settle ops: drop the item, put it back at the head of a list, or append it to one.</summary>
    public const string Remove = "remove", ToHead = "head", ToTail = "tail";

    /// <summary>
    /// KEYS: processing, target list; ARGV: digest, op. Finds the item in the processing list (only items of
    /// the right length are hashed), removes it and, for <see cref="ToHead"/> / <see cref="ToTail"/>, pushes
    /// it to the target. Returns 1, or 0 when the item is no longer there (no duplicate after a recovery).
    /// </summary>
    public const string Settle = """
        local length = tonumber(string.match(ARGV[1], '^(%d+):'))
        local n = redis.call('LLEN', KEYS[1])
        for i = 0, n - 1 do
          local v = redis.call('LINDEX', KEYS[1], i)
          if v and #v == length and (#v .. ':' .. redis.sha1hex(v)) == ARGV[1] then
            redis.call('LREM', KEYS[1], 1, v)
            if ARGV[2] == 'head' then
              redis.call('LPUSH', KEYS[2], v)
            elseif ARGV[2] == 'tail' then
              redis.call('RPUSH', KEYS[2], v)
            end
            return 1
          end
        end
        return 0
        """;

    /// <summary>KEYS: processing. The digest of every item in it, head first.</summary>
    public const string Digests = """
        local digests = {}
        local n = redis.call('LLEN', KEYS[1])
        for i = 0, n - 1 do
          local v = redis.call('LINDEX', KEYS[1], i)
          if v then
            digests[#digests + 1] = #v .. ':' .. redis.sha1hex(v)
          end
        end
        return digests
        """;

    /// <summary>KEYS: heartbeat, workers; ARGV: worker, lease ms.</summary>
    public const string Register = """
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[1])
        return 1
        """;

    /// <summary>
    /// KEYS: list, processing, heartbeat, workers; ARGV: worker, 'force' to ignore the heartbeat (own clean
    /// exit). The processing list holds the newest item at its head, so moving head-first back to the list's
    /// head restores the original order.
    /// </summary>
    public const string Recover = """
        if ARGV[2] == 'force' then
          redis.call('DEL', KEYS[3])
        elseif redis.call('EXISTS', KEYS[3]) == 1 then
          return -1
        end
        local n = 0
        while redis.call('LMOVE', KEYS[2], KEYS[1], 'LEFT', 'LEFT') do
          n = n + 1
        end
        redis.call('SREM', KEYS[4], ARGV[1])
        return n
        """;
}
