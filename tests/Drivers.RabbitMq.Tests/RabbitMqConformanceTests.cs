using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.RabbitMq.Tests;

/// <summary>The shared source suite over a durable classic queue (the default declaration).</summary>
public sealed class RabbitMqSourceConformanceTests : SourceConformanceTests
{
    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var harness = new Harness(RabbitMqService.NewQueue("source"));
        await RabbitMqService.DeclareAsync(harness.Queue);
        return harness;
    }

    internal sealed class Harness(string queue) : ISourceHarness
    {
        public string Queue => queue;

        public ISourceDriver CreateSource() => DriverFactory.Source(RabbitMqService.Registry, "rabbitmq", RabbitMqService.Flags(queue));

        public Task EnqueueAsync(byte[] payload) => RabbitMqService.PublishAsync(queue, payload);

        /// <summary>Ready in the queue; a message held unacked by a closed channel is back there by then.</summary>
        public Task<IReadOnlyList<byte[]>> RecoverableAsync() => RabbitMqService.PeekAsync(queue);

        public async ValueTask DisposeAsync() => await RabbitMqService.DeleteAsync(queue);
    }
}

/// <summary>The same suite over a quorum queue with a dead-letter queue: requeue and dead-lettering behave alike there.</summary>
public sealed class RabbitMqQuorumSourceConformanceTests : SourceConformanceTests
{
    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        _ = await RabbitMqService.ConnectionAsync();
        return new Harness(RabbitMqService.NewQueue("quorum"));
    }

    private sealed class Harness(string queue) : ISourceHarness
    {
        private readonly string _dead = queue + ".dead";

        private readonly (string, string)[] _flags = [("rabbitmq-queue-type", "quorum"), ("rabbitmq-dead-letter-queue", queue + ".dead")];

        public ISourceDriver CreateSource() => DriverFactory.Source(RabbitMqService.Registry, "rabbitmq", RabbitMqService.Flags(queue, _flags));

        public async Task EnqueueAsync(byte[] payload)
        {
            // The driver declares the queue (quorum, dead-lettered) on first use; the test publishes after it.
            await using (var source = CreateSource())
            {
                _ = await source.FetchAsync(TimeSpan.Zero, CancellationToken.None);
            }
            await RabbitMqService.PublishAsync(queue, payload);
        }

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            [.. await RabbitMqService.PeekAsync(queue), .. await SafePeekAsync(_dead)];

        private static async Task<IReadOnlyList<byte[]>> SafePeekAsync(string q)
        {
            try
            {
                return await RabbitMqService.PeekAsync(q);
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                return []; // not declared yet
            }
        }

        public async ValueTask DisposeAsync() => await RabbitMqService.DeleteAsync(queue, _dead);
    }
}

public sealed class RabbitMqSinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        _ = await RabbitMqService.ConnectionAsync();
        return new Harness(RabbitMqService.NewQueue("sink"));
    }

    private sealed class Harness(string queue) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(RabbitMqService.Registry, "rabbitmq", RabbitMqService.Flags(queue));

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) => await RabbitMqService.TakeAllAsync(queue);

        public async ValueTask DisposeAsync() => await RabbitMqService.DeleteAsync(queue);
    }
}
