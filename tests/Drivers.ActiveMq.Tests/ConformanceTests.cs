using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.ActiveMq.Tests;

public sealed class ActiveMqSourceConformanceTests : SourceConformanceTests
{
    protected override Task<ISourceHarness> CreateHarnessAsync() => Task.FromResult<ISourceHarness>(new StompSourceHarness(StompBroker.ActiveMq));
}

public sealed class ActiveMqSinkConformanceTests : SinkConformanceTests
{
    protected override Task<ISinkHarness> CreateHarnessAsync() => Task.FromResult<ISinkHarness>(new StompSinkHarness(StompBroker.ActiveMq));
}

/// <summary>The same suite against RabbitMQ's STOMP plugin, when PROCX_TEST_RABBITMQ_STOMP names one (else skipped, saying so).</summary>
public sealed class RabbitMqStompSourceConformanceTests : SourceConformanceTests
{
    // RabbitMQ's STOMP frames are capped by stomp.max_frame_size (4 MiB by default in 3.10? kept below it).
    protected override int LargePayloadBytes => 2 * 1024 * 1024;

    protected override Task<ISourceHarness> CreateHarnessAsync() => Task.FromResult<ISourceHarness>(new StompSourceHarness(StompBroker.RabbitMq));
}

public sealed class RabbitMqStompSinkConformanceTests : SinkConformanceTests
{
    protected override int LargePayloadBytes => 2 * 1024 * 1024;

    protected override Task<ISinkHarness> CreateHarnessAsync() => Task.FromResult<ISinkHarness>(new StompSinkHarness(StompBroker.RabbitMq));
}

internal sealed class StompSourceHarness : ISourceHarness
{
    private readonly StompBroker _broker;
    private readonly string _name = StompBroker.NewName("source");

    public StompSourceHarness(StompBroker broker)
    {
        _broker = broker;
        _ = broker.Address; // skips (visibly) before any work when the broker is not there
    }

    private string Destination => "/queue/" + _name;

    public ISourceDriver CreateSource() => DriverFactory.Source(StompBroker.Registry, "activemq", _broker.Flags(_name));

    public Task EnqueueAsync(byte[] payload) => _broker.SendAsync(Destination, payload);

    /// <summary>Everything the broker still hands out on the queue (read, then handed back unacknowledged).</summary>
    public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
        (await _broker.ReadAllAsync(Destination, consume: false)).Select(m => m.Body.ToArray()).ToList();

    public async ValueTask DisposeAsync() => await _broker.PurgeAsync(Destination);
}

internal sealed class StompSinkHarness : ISinkHarness
{
    private readonly StompBroker _broker;
    private readonly string _name = StompBroker.NewName("sink");

    public StompSinkHarness(StompBroker broker)
    {
        _broker = broker;
        _ = broker.Address;
    }

    private string Destination => "/queue/" + _name;

    public ISinkDriver CreateSink() => DriverFactory.Sink(StompBroker.Registry, "activemq", _broker.Flags(_name));

    public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
        (await _broker.ReadAllAsync(Destination, consume: true)).Select(m => m.Body.ToArray()).ToList();

    public async ValueTask DisposeAsync() => await _broker.PurgeAsync(Destination);
}
