using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Aws.Tests;

/// <summary>
/// aws-dynamo against the shared suite. A job is an item {id, status, work}; the child gets the "work"
/// field (-aws-dynamo-retrieve-field), clear deletes the item, fail flags it failed and leaves it pending (so
/// a failed job comes back to a later fetch). DynamoDB strings are text, so the harness stores each payload
/// base64 in "work" and the suite checks that the driver hands over exactly that text
/// (<see cref="ISourceHarness.HandedOver"/>); nothing wraps the driver.
/// </summary>
public abstract class DynamoSourceConformance : SourceConformanceTests
{
    /// <summary>DynamoDB caps an item at 400 KB; base64 makes the payload 4/3 larger.</summary>
    protected override int LargePayloadBytes => 256 * 1024;

    protected abstract Task<DynamoBackend> BackendAsync();

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await BackendAsync());

    private sealed class Harness(DynamoBackend backend) : ISourceHarness
    {
        private int _count;

        public ISourceDriver CreateSource() => DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\" WHERE \"status\" = 'pending'"),
            ("aws-dynamo-retrieve-field", "work"),
            ("aws-dynamo-clear-query", "DELETE FROM \"$TABLE\" WHERE \"id\" = '{{id}}'"),
            ("aws-dynamo-fail-query", "UPDATE \"$TABLE\" SET \"failed\" = 'yes' WHERE \"id\" = '{{id}}'")));

        // PutItem rather than PartiQL: a statement is capped at 8 KiB, the large payload is not.
        public Task EnqueueAsync(byte[] payload) => backend.Client.PutItemAsync(backend.Table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>
        {
            ["id"] = new() { S = $"job-{Interlocked.Increment(ref _count):D4}" },
            ["status"] = new() { S = "pending" },
            ["work"] = new() { S = Convert.ToBase64String(payload) },
        });

        /// <summary>The "work" string, which is what the child gets.</summary>
        public byte[] HandedOver(byte[] payload) => Encoding.UTF8.GetBytes(Convert.ToBase64String(payload));

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() => Work(await backend.ScanAsync());

        public async Task<IReadOnlyList<byte[]>?> FailedAsync() => Work((await backend.ScanAsync()).Where(i => i.ContainsKey("failed")));

        public ValueTask DisposeAsync() => backend.DisposeAsync();

        private static List<byte[]> Work(IEnumerable<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> items) =>
            [.. items.OrderBy(i => i["id"].S, StringComparer.Ordinal).Select(i => Convert.FromBase64String(i["work"].S))];
    }
}

/// <summary>The suite against the in-process wire-level fake: no DynamoDB server runs on this machine.</summary>
public sealed class DynamoSourceOnFakeTests : DynamoSourceConformance
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.FakeAsync();
}

/// <summary>The suite against DynamoDB Local (PROCX_TEST_DYNAMO or Testcontainers); skipped, saying so, without one.</summary>
public sealed class DynamoSourceOnEmulatorTests : DynamoSourceConformance
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.EmulatorAsync();
}

public abstract class DynamoSinkConformance : SinkConformanceTests
{
    /// <summary>The sink stores JSON documents as items, not raw bytes.</summary>
    protected override bool StoresRawBytes => false;

    protected abstract Task<DynamoBackend> BackendAsync(string hashKey);

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await BackendAsync("pk"));

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

public sealed class DynamoSinkOnFakeTests : DynamoSinkConformance
{
    protected override Task<DynamoBackend> BackendAsync(string hashKey) => DynamoBackend.FakeAsync(hashKey);
}

public sealed class DynamoSinkOnEmulatorTests : DynamoSinkConformance
{
    protected override Task<DynamoBackend> BackendAsync(string hashKey) => DynamoBackend.EmulatorAsync(hashKey);
}
