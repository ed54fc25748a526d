using Drivers.Core.Settings;

namespace Drivers.Redis;

/// <summary>The flags of redis-pubsub: the shared connection group (the key is the channel), plus how long a one-shot procx waits.</summary>
internal static class RedisPubSubSettings
{
    public static readonly Setting Wait = new("redis-pubsub-wait",
        "How long a one-shot procx waits for the next message (default: until one arrives, as the original)")
    {
        Type = SettingType.Duration,
        Max = Setting.LongestTimer,
    };

    public static IReadOnlyList<Setting> Source { get; } = [.. RedisConnectionSettings.All, Wait];

    public static IReadOnlyList<Setting> Sink { get; } = RedisConnectionSettings.All;
}
