using Drivers.Conformance;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.FileSystem;

namespace Drivers.FileSystem.Tests;

/// <summary>A temporary folder with work/ and failed/ subfolders.</summary>
internal sealed class TempFolders : IAsyncDisposable
{
    public TempFolders()
    {
        Root = Directory.CreateTempSubdirectory("procx-fs-").FullName;
        Work = Directory.CreateDirectory(Path.Combine(Root, "work")).FullName;
        Failed = Path.Combine(Root, "failed");
    }

    public string Root { get; }

    public string Work { get; }

    public string Failed { get; }

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddFileSystemDrivers();

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class FsSourceConformanceTests : SourceConformanceTests
{
    protected override Task<ISourceHarness> CreateHarnessAsync() => Task.FromResult<ISourceHarness>(new Harness());

    private sealed class Harness : ISourceHarness
    {
        private readonly TempFolders _folders = new();
        private int _count;

        public ISourceDriver CreateSource() => DriverFactory.Source(TempFolders.Registry, "fs", new Dictionary<string, string>
        {
            ["fs-folder"] = _folders.Work,
            ["fs-key-prefix"] = "job-",
            ["fs-clear-op"] = "rm",
            ["fs-fail-op"] = "mv",
            ["fs-fail-folder"] = _folders.Failed,
            ["fs-fail-key-template"] = "failed-{{key}}",
        });

        public Task EnqueueAsync(byte[] payload) =>
            File.WriteAllBytesAsync(Path.Combine(_folders.Work, $"job-{Interlocked.Increment(ref _count):D4}"), payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync()
        {
            var files = Directory.EnumerateFiles(_folders.Work)
                .Concat(Directory.Exists(_folders.Failed) ? Directory.EnumerateFiles(_folders.Failed) : [])
                .Order(StringComparer.Ordinal);
            var result = new List<byte[]>();
            foreach (var file in files)
            {
                result.Add(await File.ReadAllBytesAsync(file));
            }
            return result;
        }

        /// <summary>What -fs-fail-op mv moved to the fail folder.</summary>
        public async Task<IReadOnlyList<byte[]>?> FailedAsync()
        {
            var result = new List<byte[]>();
            var files = Directory.Exists(_folders.Failed) ? Directory.EnumerateFiles(_folders.Failed) : [];
            foreach (var file in files.Order(StringComparer.Ordinal))
            {
                result.Add(await File.ReadAllBytesAsync(file));
            }
            return result;
        }

        public ValueTask DisposeAsync() => _folders.DisposeAsync();
    }
}

public sealed class FsSinkConformanceTests : SinkConformanceTests
{
    protected override Task<ISinkHarness> CreateHarnessAsync() => Task.FromResult<ISinkHarness>(new Harness());

    private sealed class Harness : ISinkHarness
    {
        private readonly TempFolders _folders = new();
        private int _count;

        // The conformance pushes carry no unique field to render a key from, so each push gets its own
        // fs sink with a fixed key in name order (what a user does with -fs-key per pushx call).
        public ISinkDriver CreateSink() => new CountingSink(this);

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            var result = new List<byte[]>();
            foreach (var file in Directory.EnumerateFiles(_folders.Work).Order(StringComparer.Ordinal))
            {
                result.Add(await File.ReadAllBytesAsync(file));
            }
            return result;
        }

        public ValueTask DisposeAsync() => _folders.DisposeAsync();

        private sealed class CountingSink(Harness harness) : ISinkDriver
        {
            public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
            {
                var key = $"out-{Interlocked.Increment(ref harness._count):D4}.bin";
                await using var sink = DriverFactory.Sink(TempFolders.Registry, "fs", new Dictionary<string, string>
                {
                    ["fs-folder"] = harness._folders.Work,
                    ["fs-key"] = key,
                });
                await sink.PushAsync(payload, cancellationToken);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
