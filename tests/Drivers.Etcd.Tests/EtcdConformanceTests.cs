using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Etcd.Tests;

/// <summary>The shared source suite: keys under a prefix, deleted on clear, moved to a fail prefix on fail.</summary>
public sealed class EtcdSourceConformanceTests : SourceConformanceTests
{
    // etcd takes requests up to --max-request-bytes (1.5 MiB by default).
    protected override int LargePayloadBytes => 1024 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await EtcdService.ClientAsync());

    private sealed class Harness(EtcdCtl etcd) : ISourceHarness
    {
        private readonly string _root = EtcdService.NewPrefix("source");
        private int _next;

        private string Jobs => _root + "jobs/";

        private string Failed => _root + "failed/";

        public ISourceDriver CreateSource() => DriverFactory.Source(EtcdService.Registry, "etcd", EtcdService.Flags(
            ("etcd-retrieve-key", Jobs), ("etcd-with-prefix", "true"),
            ("etcd-clear-op", "rm"),
            ("etcd-fail-op", "mv"), ("etcd-fail-key", Failed + "{{key}}"),
            ("etcd-claim-prefix", _root + "claims/")));

        public Task EnqueueAsync(byte[] payload) => etcd.PutAsync($"{Jobs}{Interlocked.Increment(ref _next):D4}", payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            [.. (await etcd.ListAsync(Jobs)).Select(kv => kv.Value), .. (await etcd.ListAsync(Failed)).Select(kv => kv.Value)];

        public async Task<IReadOnlyList<byte[]>?> FailedAsync() => (await etcd.ListAsync(Failed)).Select(kv => kv.Value).ToList();

        public async ValueTask DisposeAsync()
        {
            await etcd.DeletePrefixAsync(_root);
            etcd.Dispose();
        }
    }
}

/// <summary>The same suite with a failed key left in place (no fail op): it must come back to a later fetch.</summary>
public sealed class EtcdSourceInPlaceConformanceTests : SourceConformanceTests
{
    protected override int LargePayloadBytes => 1024 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await EtcdService.ClientAsync());

    private sealed class Harness(EtcdCtl etcd) : ISourceHarness
    {
        private readonly string _root = EtcdService.NewPrefix("inplace");
        private int _next;

        public ISourceDriver CreateSource() => DriverFactory.Source(EtcdService.Registry, "etcd", EtcdService.Flags(
            ("etcd-retrieve-key", _root), ("etcd-with-prefix", "true"), ("etcd-clear-op", "rm")));

        public Task EnqueueAsync(byte[] payload) => etcd.PutAsync($"{_root}{Interlocked.Increment(ref _next):D4}", payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() => (await etcd.ListAsync(_root)).Select(kv => kv.Value).ToList();

        public async ValueTask DisposeAsync()
        {
            await etcd.DeletePrefixAsync(_root);
            await etcd.DeletePrefixAsync("procx-claims/" + _root);
            etcd.Dispose();
        }
    }
}

public sealed class EtcdSinkConformanceTests : SinkConformanceTests
{
    protected override int LargePayloadBytes => 1024 * 1024;

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await EtcdService.ClientAsync());

    private sealed class Harness(EtcdCtl etcd) : ISinkHarness
    {
        private readonly string _root = EtcdService.NewPrefix("sink");

        public ISinkDriver CreateSink() => DriverFactory.Sink(EtcdService.Registry, "etcd", EtcdService.Flags(("etcd-key", _root), ("etcd-key-append-id", "true")));

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) => (await etcd.ListAsync(_root)).Select(kv => kv.Value).ToList();

        public async ValueTask DisposeAsync()
        {
            await etcd.DeletePrefixAsync(_root);
            etcd.Dispose();
        }
    }
}
