using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Gcp.Tests;

/// <summary>gcp-pubsub source over a fresh topic and subscription. "Recoverable" = deliverable again (peeked).</summary>
public abstract class PubSubSourceConformance : SourceConformanceTests
{
    protected abstract Task<PubSubBackend> StartBackendAsync();

    // A Pub/Sub message holds at most 10 MB; the base64 of the JSON publish body must fit too.
    protected override int LargePayloadBytes => 5 * 1024 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        var backend = await StartBackendAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        return new Harness(backend, topic, subscription);
    }

    private sealed class Harness(PubSubBackend backend, string topic, string subscription) : ISourceHarness
    {
        public ISourceDriver CreateSource() => DriverFactory.Source(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = PubSubBackend.Project,
            ["gcp-pubsub-subscription"] = subscription,
        });

        public Task EnqueueAsync(byte[] payload) => backend.PublishAsync(topic, payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() => (await backend.PeekAsync(subscription)).Select(PubSubBackend.Data).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

/// <summary>gcp-pubsub sink: publishes to a fresh topic, read back through its subscription.</summary>
public abstract class PubSubSinkConformance : SinkConformanceTests
{
    protected abstract Task<PubSubBackend> StartBackendAsync();

    protected override int LargePayloadBytes => 5 * 1024 * 1024;

    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        var backend = await StartBackendAsync();
        var (topic, subscription) = await backend.CreateTopicAsync();
        return new Harness(backend, topic, subscription);
    }

    private sealed class Harness(PubSubBackend backend, string topic, string subscription) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(Registry.Gcp, "gcp-pubsub", new Dictionary<string, string>
        {
            ["gcp-pubsub-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = PubSubBackend.Project,
            ["gcp-pubsub-topic"] = topic,
        });

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) => (await backend.PeekAsync(subscription)).Select(PubSubBackend.Data).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

public sealed class PubSubSourceOnFakeTests : PubSubSourceConformance
{
    protected override Task<PubSubBackend> StartBackendAsync() => PubSubBackend.FakeAsync();
}

public sealed class PubSubSinkOnFakeTests : PubSubSinkConformance
{
    protected override Task<PubSubBackend> StartBackendAsync() => PubSubBackend.FakeAsync();
}

public sealed class PubSubSourceOnEmulatorTests : PubSubSourceConformance
{
    protected override Task<PubSubBackend> StartBackendAsync() => PubSubBackend.ContainerAsync();
}

public sealed class PubSubSinkOnEmulatorTests : PubSubSinkConformance
{
    protected override Task<PubSubBackend> StartBackendAsync() => PubSubBackend.ContainerAsync();
}
