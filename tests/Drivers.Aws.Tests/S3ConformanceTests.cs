using Amazon.S3;
using Amazon.S3.Model;
using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Aws.Tests;

/// <summary>A fresh bucket on s3rver, read and written with the SDK's own S3 client.</summary>
internal sealed class S3Bucket : IAsyncDisposable
{
    private S3Bucket(string endpoint, AmazonS3Client client, string name)
    {
        Endpoint = endpoint;
        Client = client;
        Name = name;
    }

    public string Endpoint { get; }

    public AmazonS3Client Client { get; }

    public string Name { get; }

    public static async Task<S3Bucket> CreateAsync()
    {
        var endpoint = AwsTestServices.S3Endpoint();
        var client = AwsTestServices.S3Client(endpoint);
        var name = AwsTestServices.UniqueName("procx");
        await client.PutBucketAsync(new PutBucketRequest { BucketName = name });
        return new S3Bucket(endpoint, client, name);
    }

    public Task PutAsync(string key, byte[] body) => Client.PutObjectAsync(new PutObjectRequest
    {
        BucketName = Name,
        Key = key,
        InputStream = new MemoryStream(body),
        UseChunkEncoding = false,
    });

    public async Task<byte[]> GetAsync(string key)
    {
        using var response = await Client.GetObjectAsync(Name, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async Task<List<string>> KeysAsync()
    {
        var response = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Name });
        return [.. (response.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal)];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var key in await KeysAsync())
            {
                await Client.DeleteObjectAsync(Name, key);
            }
            await Client.DeleteBucketAsync(Name);
        }
        catch (AmazonS3Exception)
        {
            // Best effort: s3rver's data directory is temporary anyway.
        }
        Client.Dispose();
    }

    public Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["aws-endpoint-url"] = Endpoint, ["aws-s3-bucket"] = Name };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }
}

public sealed class S3SourceConformanceTests : SourceConformanceTests
{
    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await S3Bucket.CreateAsync());

    private sealed class Harness(S3Bucket bucket) : ISourceHarness
    {
        private int _count;

        public ISourceDriver CreateSource() => DriverFactory.Source(AwsTestServices.Registry, "aws-s3", bucket.Flags(
            ("aws-s3-key-prefix", "job-"),
            ("aws-s3-clear-op", "rm"),
            ("aws-s3-fail-op", "mv"),
            ("aws-s3-fail-key-template", "failed/{{key}}")));

        public Task EnqueueAsync(byte[] payload) => bucket.PutAsync($"job-{Interlocked.Increment(ref _count):D4}", payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync()
        {
            var result = new List<byte[]>();
            foreach (var key in await bucket.KeysAsync())
            {
                result.Add(await bucket.GetAsync(key));
            }
            return result;
        }

        /// <summary>What -aws-s3-fail-op mv moved under failed/.</summary>
        public async Task<IReadOnlyList<byte[]>?> FailedAsync()
        {
            var result = new List<byte[]>();
            foreach (var key in (await bucket.KeysAsync()).Where(k => k.StartsWith("failed/", StringComparison.Ordinal)))
            {
                result.Add(await bucket.GetAsync(key));
            }
            return result;
        }

        public ValueTask DisposeAsync() => bucket.DisposeAsync();
    }
}

public sealed class S3SinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await S3Bucket.CreateAsync());

    private sealed class Harness(S3Bucket bucket) : ISinkHarness
    {
        private int _count;

        // The conformance pushes carry no unique field to render a key from, so each push gets its own
        // sink with a fixed key in name order (what a user does with -aws-s3-key per pushx call).
        public ISinkDriver CreateSink() => new CountingSink(this);

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            var result = new List<byte[]>();
            foreach (var key in await bucket.KeysAsync())
            {
                result.Add(await bucket.GetAsync(key));
            }
            return result;
        }

        public ValueTask DisposeAsync() => bucket.DisposeAsync();

        private sealed class CountingSink(Harness harness) : ISinkDriver
        {
            public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
            {
                var key = $"out-{Interlocked.Increment(ref harness._count):D4}.bin";
                await using var sink = DriverFactory.Sink(AwsTestServices.Registry, "aws-s3", harness.Bucket.Flags(("aws-s3-key", key)));
                await sink.PushAsync(payload, cancellationToken);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }

        private S3Bucket Bucket => bucket;
    }
}
