using Drivers.Core.Settings;

namespace Drivers.Redis;

/// <summary>The flags of redis-list: the shared connection group, plus the worker lease of the reliable source.</summary>
internal static class RedisListSettings
{
    public static readonly Setting Lease = new("redis-list-lease",
        "How long a procx's in-flight items stay its own without a heartbeat; after that another procx returns them to the list (crash recovery)")
    {
        Type = SettingType.Duration,
        Default = "30s",
        Min = "1s",
        Max = Setting.LongestTimer,
    };

    public static IReadOnlyList<Setting> Source { get; } = [.. RedisConnectionSettings.All, Lease];

    public static IReadOnlyList<Setting> Sink { get; } = RedisConnectionSettings.All;
}
