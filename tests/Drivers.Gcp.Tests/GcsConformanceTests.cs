using Drivers.Conformance;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;

namespace Drivers.Gcp.Tests;

internal static class Registry
{
    public static DriverRegistry Gcp { get; } = new DriverRegistry().AddGcpDrivers();

    static Registry() => GcpApi.RetryBaseDelay = TimeSpan.FromMilliseconds(20);
}

/// <summary>gcp-gcs source: objects job-* in a fresh bucket; clear rm, fail mv to a second bucket.</summary>
public abstract class GcsSourceConformance : SourceConformanceTests
{
    protected abstract Task<GcsBackend> StartBackendAsync();

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        var backend = await StartBackendAsync();
        return new Harness(backend, await backend.CreateBucketAsync(), await backend.CreateBucketAsync());
    }

    private sealed class Harness(GcsBackend backend, string bucket, string failed) : ISourceHarness
    {
        private int _count;

        public ISourceDriver CreateSource() => DriverFactory.Source(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
        {
            ["gcp-gcs-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = "test",
            ["gcp-gcs-bucket"] = bucket,
            ["gcp-gcs-key-prefix"] = "job-",
            ["gcp-gcs-clear-op"] = "rm",
            ["gcp-gcs-fail-op"] = "mv",
            ["gcp-gcs-fail-bucket"] = failed,
            ["gcp-gcs-fail-key-template"] = "failed-{{key}}",
        });

        public Task EnqueueAsync(byte[] payload) => backend.PutAsync(bucket, $"job-{Interlocked.Increment(ref _count):D4}", payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync()
        {
            var left = await backend.ObjectsAsync(bucket);
            var moved = await backend.ObjectsAsync(failed);
            return left.Concat(moved).Select(o => o.Data).ToList();
        }

        /// <summary>What -gcp-gcs-fail-op mv moved to the fail bucket.</summary>
        public async Task<IReadOnlyList<byte[]>?> FailedAsync() => (await backend.ObjectsAsync(failed)).Select(o => o.Data).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

/// <summary>gcp-gcs sink: a fresh bucket; each push to its own key.</summary>
public abstract class GcsSinkConformance : SinkConformanceTests
{
    protected abstract Task<GcsBackend> StartBackendAsync();

    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        var backend = await StartBackendAsync();
        return new Harness(backend, await backend.CreateBucketAsync());
    }

    private sealed class Harness(GcsBackend backend, string bucket) : ISinkHarness
    {
        private int _count;

        public GcsBackend Backend => backend;

        public string Bucket => bucket;

        // Conformance payloads carry no unique field, so each push names its own key, as a user does per pushx call.
        public ISinkDriver CreateSink() => new KeyPerPush(this);

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) => (await backend.ObjectsAsync(bucket)).Select(o => o.Data).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();

        private sealed class KeyPerPush(Harness harness) : ISinkDriver
        {
            public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
            {
                await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-gcs", new Dictionary<string, string>
                {
                    ["gcp-gcs-emulator-host"] = harness.Backend.HostPort,
                    ["gcp-gcs-bucket"] = harness.Bucket,
                    ["gcp-gcs-key"] = $"out/{Interlocked.Increment(ref harness._count):D4}.bin",
                });
                await sink.PushAsync(payload, cancellationToken);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}

public sealed class GcsSourceOnFakeTests : GcsSourceConformance
{
    protected override Task<GcsBackend> StartBackendAsync() => GcsBackend.FakeAsync();
}

public sealed class GcsSinkOnFakeTests : GcsSinkConformance
{
    protected override Task<GcsBackend> StartBackendAsync() => GcsBackend.FakeAsync();
}

public sealed class GcsSourceOnEmulatorTests : GcsSourceConformance
{
    protected override Task<GcsBackend> StartBackendAsync() => GcsBackend.ContainerAsync();
}

public sealed class GcsSinkOnEmulatorTests : GcsSinkConformance
{
    protected override Task<GcsBackend> StartBackendAsync() => GcsBackend.ContainerAsync();
}
