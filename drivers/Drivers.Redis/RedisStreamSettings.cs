using Drivers.Core.Settings;

namespace Drivers.Redis;

/// <summary>The flags of redis-stream: the shared connection group plus the stream's own, named as in the originals.</summary>
internal static class RedisStreamSettings
{
    public static readonly Setting ConsumerGroup = new("redis-stream-consumer-group", "Consumer group to read with; created (with the stream) if missing, from the stream's start")
    {
        Default = "procx",
    };

    // The original's flag is misspelt ("steam"); its env var is spelt right. All of them work.
    public static readonly Setting ConsumerName = new("redis-steam-consumer-name", "Consumer name within the group (default: a unique name per procx)")
    {
        Aliases = ["redis-stream-consumer-name"],
    };

    public static readonly Setting ValueKeys = new("redis-stream-value-keys", "Comma-separated fields to hand to the child, as a JSON object (default: every field)");

    public static readonly Setting ClearOp = new("redis-stream-clear-op", "On success: ack (XACK) or del (XACK and XDEL)")
    {
        Choices = ["ack", "del"],
        Default = "ack",
    };

    public static readonly Setting FailOp = new("redis-stream-fail-op", "On failure: ack, del, or pending (leave it pending; it is claimed again after -redis-stream-claim-idle)")
    {
        Choices = ["ack", "del", "pending"],
        Default = "pending",
    };

    public static readonly Setting ClaimIdle = new("redis-stream-claim-idle", "Claim entries pending this long (failed, or of a crashed procx) with XAUTOCLAIM and run them again")
    {
        Type = SettingType.Duration,
        Default = "30s",
        Min = "100ms",
        Max = Setting.LongestTimer,
    };

    public static readonly Setting MessageId = new("redis-message-id", "Entry id for XADD") { Default = "*" };

    public static IReadOnlyList<Setting> Source { get; } = [.. RedisConnectionSettings.All, ConsumerGroup, ConsumerName, ValueKeys, ClearOp, FailOp, ClaimIdle];

    public static IReadOnlyList<Setting> Sink { get; } = [.. RedisConnectionSettings.All, MessageId];

    /// <summary>The field that carries input that is not a JSON object (sink), and is unwrapped again when alone (source).</summary>
    public const string PayloadField = "payload";
}
