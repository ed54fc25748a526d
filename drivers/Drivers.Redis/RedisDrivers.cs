using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>Registers the Redis drivers: redis-list, redis-pubsub and redis-stream (docs/redis.md).</summary>
public static class RedisDrivers
{
    public static DriverRegistry AddRedisDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("redis-list", "Items from the head of a Redis list, taken reliably (at least once; crash recovery)", RedisListSettings.Source, c => new RedisListSource(c)))
        .Add(new SinkDescriptor("redis-list", "Appends the input to a Redis list (RPUSH)", RedisListSettings.Sink, c => new RedisListSink(c)))
        .Add(new SourceDescriptor("redis-pubsub", "The next message published on a Redis channel (no redelivery: a failed or lost message is gone)", RedisPubSubSettings.Source, c => new RedisPubSubSource(c)))
        .Add(new SinkDescriptor("redis-pubsub", "PUBLISHes the input on a Redis channel", RedisPubSubSettings.Sink, c => new RedisPubSubSink(c)))
        .Add(new SourceDescriptor("redis-stream", "Entries of a Redis stream, read with a consumer group; pending entries are claimed again", RedisStreamSettings.Source, c => new RedisStreamSource(c)))
        .Add(new SinkDescriptor("redis-stream", "Adds the input to a Redis stream (XADD; a JSON object becomes the entry's fields)", RedisStreamSettings.Sink, c => new RedisStreamSink(c)));
}
