using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>KEDA's Redis scalers for redis-list (<c>redis</c>: list length) and redis-stream (<c>redis-streams</c>: pending entries).</summary>
internal static class RedisKeda
{
    public static KedaScaler List { get; } = new("redis", input =>
    [
        Address(input),
        new("listName", input.Settings.GetRequiredString(RedisConnectionSettings.Key)),
        new("listLength", input.Threshold.ToString(CultureInfo.InvariantCulture)),
        Tls(input),
    ])
    {
        Secrets = [new("password", RedisConnectionSettings.Password)],
    };

    public static KedaScaler Stream { get; } = new("redis-streams", input =>
    [
        Address(input),
        new("stream", input.Settings.GetRequiredString(RedisConnectionSettings.Key)),
        new("consumerGroup", input.Settings.GetRequiredString(RedisStreamSettings.ConsumerGroup)),
        new("pendingEntriesCount", input.Threshold.ToString(CultureInfo.InvariantCulture)),
        Tls(input),
    ])
    {
        Secrets = [new("password", RedisConnectionSettings.Password)],
    };

    private static KeyValuePair<string, string> Address(KedaInput input) =>
        new("address", $"{input.Settings.GetString(RedisConnectionSettings.Host)}:{input.Settings.GetString(RedisConnectionSettings.Port)}");

    private static KeyValuePair<string, string> Tls(KedaInput input) =>
        new("enableTLS", input.Settings.GetBool(RedisConnectionSettings.EnableTls) ? "true" : "false");
}
