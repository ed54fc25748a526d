using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Aws.Tests;

/// <summary>
/// aws-dynamo against the shared suite. A job is an item {id, status, work}; the child gets the "work"
/// field (-aws-dynamo-retrieve-field), clear deletes the item, fail marks it failed. DynamoDB strings are
/// text, so the byte-exact tests store the payload base64 in "work" and the harness decodes it: the bytes the
/// child receives are then the base64 text, which the harness maps back.
/// </summary>
public sealed class DynamoSourceConformanceTests : SourceConformanceTests
{
    /// <summary>DynamoDB caps an item at 400 KB; base64 makes the payload 4/3 larger.</summary>
    protected override int LargePayloadBytes => 256 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await DynamoBackend.CreateAsync());

    private sealed class Harness(DynamoBackend backend) : ISourceHarness
    {
        private int _count;

        public ISourceDriver CreateSource() => new DecodingSource(DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\" WHERE \"status\" = 'pending'"),
            ("aws-dynamo-retrieve-field", "work"),
            ("aws-dynamo-clear-query", "DELETE FROM \"$TABLE\" WHERE \"id\" = '{{id}}'"),
            ("aws-dynamo-fail-query", "UPDATE \"$TABLE\" SET \"status\" = 'failed' WHERE \"id\" = '{{id}}'"))));

        // PutItem rather than PartiQL: a statement is capped at 8 KiB, the large payload is not.
        public Task EnqueueAsync(byte[] payload) => backend.Client.PutItemAsync(backend.Table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
        {
            ["id"] = new() { S = $"job-{Interlocked.Increment(ref _count):D4}" },
            ["status"] = new() { S = "pending" },
            ["work"] = new() { S = Convert.ToBase64String(payload) },
        });

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            [.. (await backend.ScanAsync()).OrderBy(i => i["id"].S, StringComparer.Ordinal).Select(i => Convert.FromBase64String(i["work"].S))];

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }

    /// <summary>Maps the base64 text the driver hands over back to the enqueued bytes.</summary>
    private sealed class DecodingSource(ISourceDriver inner) : ISourceDriver
    {
        public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            var item = await inner.FetchAsync(wait, cancellationToken);
            if (item is null)
            {
                return null;
            }
            var text = Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(cancellationToken));
            return new WorkItem(Payload.FromBytes(Convert.FromBase64String(text)))
            {
                Key = item.Key,
                Id = item.Id,
                TemplateData = item.TemplateData,
                DriverState = item,
            };
        }

        public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => inner.ClearAsync((WorkItem)item.DriverState!, cancellationToken);

        public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => inner.FailAsync((WorkItem)item.DriverState!, cancellationToken);

        public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => inner.ReleaseAsync((WorkItem)item.DriverState!, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

public sealed class DynamoSinkConformanceTests : SinkConformanceTests
{
    /// <summary>The sink stores JSON documents as items, not raw bytes.</summary>
    protected override bool StoresRawBytes => false;

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await DynamoBackend.CreateAsync(hashKey: "pk"));

    private sealed class Harness(DynamoBackend backend) : ISinkHarness
    {
        private int _count;

        // The table's key is "pk"; each conformance push gets one (and an arrival number), as a user's documents carry their own key.
        public ISinkDriver CreateSink() => new KeyingSink(this);

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            [.. (await backend.ScanAsync())
                .OrderBy(i => int.Parse(i["seq"].N, System.Globalization.CultureInfo.InvariantCulture))
                .Select(i => { i.Remove("seq"); i.Remove("pk"); return Encoding.UTF8.GetBytes(DynamoJson.ToPlainJson(i).ToJsonString()); })];

        public void AssertDelivered(byte[] pushed, byte[] received)
        {
            Xunit.Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(pushed), System.Text.Json.Nodes.JsonNode.Parse(received)),
                $"pushed {Encoding.UTF8.GetString(pushed)}, stored {Encoding.UTF8.GetString(received)}");
        }

        public ValueTask DisposeAsync() => backend.DisposeAsync();

        private sealed class KeyingSink(Harness harness) : ISinkDriver
        {
            private readonly ISinkDriver _inner = DriverFactory.Sink(AwsTestServices.Registry, "aws-dynamo", harness.Backend.Flags(("aws-dynamo-table", "$TABLE")));

            public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
            {
                var document = System.Text.Json.Nodes.JsonNode.Parse(await payload.ReadAllBytesAsync(cancellationToken))!.AsObject();
                var seq = Interlocked.Increment(ref harness._count);
                document["pk"] = $"doc-{seq:D4}";
                document["seq"] = seq;
                await _inner.PushAsync(Payload.FromBytes(Encoding.UTF8.GetBytes(document.ToJsonString())), cancellationToken);
            }

            public ValueTask DisposeAsync() => _inner.DisposeAsync();
        }

        private DynamoBackend Backend => backend;
    }
}
