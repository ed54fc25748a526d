using Drivers.Conformance;
using Drivers.Core.Contracts;
using StackExchange.Redis;

namespace Drivers.Redis.Tests;

public sealed class RedisListSourceConformanceTests : SourceConformanceTests
{
    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    private sealed class Harness(ConnectionMultiplexer client) : ISourceHarness
    {
        private readonly string _key = RedisService.NewKey("list");

        public ISourceDriver CreateSource() => DriverFactory.Source(RedisService.Registry, "redis-list", RedisService.Flags(_key));

        public Task EnqueueAsync(byte[] payload) => client.GetDatabase().ListRightPushAsync(_key, payload);

        /// <summary>The list itself plus every worker's processing list.</summary>
        public async Task<IReadOnlyList<byte[]>> RecoverableAsync()
        {
            var db = client.GetDatabase();
            var result = (await db.ListRangeAsync(_key)).Select(v => (byte[])v!).ToList();
            var server = client.GetServer(client.GetEndPoints()[0]);
            await foreach (var processing in server.KeysAsync(pattern: _key + ":processing:*"))
            {
                result.AddRange((await db.ListRangeAsync(processing)).Select(v => (byte[])v!));
            }
            return result;
        }

        public async ValueTask DisposeAsync() => await RedisService.DeleteAsync(_key);
    }
}

public sealed class RedisListSinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await RedisService.ClientAsync());

    private sealed class Harness(ConnectionMultiplexer client) : ISinkHarness
    {
        private readonly string _key = RedisService.NewKey("list-sink");

        public ISinkDriver CreateSink() => DriverFactory.Sink(RedisService.Registry, "redis-list", RedisService.Flags(_key));

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            (await client.GetDatabase().ListRangeAsync(_key)).Select(v => (byte[])v!).ToList();

        public async ValueTask DisposeAsync() => await RedisService.DeleteAsync(_key);
    }
}
