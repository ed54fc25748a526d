using Drivers.Core.Registry;

namespace Drivers.Redis;

/// <summary>Registers the Redis drivers: redis-list, redis-pubsub and redis-stream (docs/redis.md).</summary>
public static class RedisDrivers
{
    public static DriverRegistry AddRedisDrivers(this DriverRegistry registry) => registry
        .Add(new SourceDescriptor("redis-list", "Items from the head of a Redis list, taken reliably (at least once; crash recovery)", RedisListSettings.Source, c => new RedisListSource(c))
        {
            Capabilities = SourceCapabilities.Of<RedisListSource>(DeliveryGuarantee.AtLeastOnce,
                "A taken item waits in a per-worker processing list; a failed one goes back to the head, and a later procx moves items stranded by a dead one back (docs/redis.md).") with
            {
                Keda = RedisKeda.List,
            },
            Examples = [new("Run a worker for each item of the list jobs", "procx -driver redis-list -redis-host 127.0.0.1 -redis-key jobs -daemon ./work.sh")],
        })
        .Add(new SinkDescriptor("redis-list", "Appends the input to a Redis list (RPUSH)", RedisListSettings.Sink, c => new RedisListSink(c))
        {
            Examples = [new("Queue a job on the list jobs", "echo '{\"id\":1}' | pushx -driver redis-list -redis-host 127.0.0.1 -redis-key jobs")],
        })
        .Add(new SourceDescriptor("redis-pubsub", "The next message published on a Redis channel (no redelivery: a failed or lost message is gone)", RedisPubSubSettings.Source, c => new RedisPubSubSource(c))
        {
            Capabilities = SourceCapabilities.Of<RedisPubSubSource>(DeliveryGuarantee.AtMostOnce,
                "None: pub/sub has no redelivery, so a message whose job fails, or that procx held when it died, is gone.") with
            {
                NoKedaScaler = "a pub/sub channel holds no backlog to count",
            },
            Examples = [new("Run a command for each message on the channel events", "procx -driver redis-pubsub -redis-host 127.0.0.1 -redis-key events -daemon ./on-event.sh")],
        })
        .Add(new SinkDescriptor("redis-pubsub", "PUBLISHes the input on a Redis channel", RedisPubSubSettings.Sink, c => new RedisPubSubSink(c))
        {
            Examples = [new("Publish a message on the channel events", "pushx -driver redis-pubsub -redis-host 127.0.0.1 -redis-key events -in started")],
        })
        .Add(new SourceDescriptor("redis-stream", "Entries of a Redis stream, read with a consumer group; pending entries are claimed again", RedisStreamSettings.Source, c => new RedisStreamSource(c))
        {
            Capabilities = SourceCapabilities.Of<RedisStreamSource>(DeliveryGuarantee.AtLeastOnce,
                "A taken entry stays pending in the consumer group and is claimed again (XAUTOCLAIM) once idle; -redis-stream-fail-op says what a failure does.") with
            {
                Keda = RedisKeda.Stream,
            },
            Examples = [new("Work through the stream orders as the consumer group workers", "procx -driver redis-stream -redis-key orders -redis-stream-consumer-group workers -daemon ./order.sh")],
        })
        .Add(new SinkDescriptor("redis-stream", "Adds the input to a Redis stream (XADD; a JSON object becomes the entry's fields)", RedisStreamSettings.Sink, c => new RedisStreamSink(c))
        {
            Examples = [new("Add an entry to the stream orders", "echo '{\"id\":\"42\"}' | pushx -driver redis-stream -redis-key orders")],
        });
}
