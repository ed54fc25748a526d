using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>Registers the Redis drivers.</summary>
public static class RedisDrivers
{
    public static DriverRegistry AddRedisDrivers(this DriverRegistry registry) => registry;
}
