using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

internal static class FirestoreRest
{
    public const string Root = "/v1/projects/p/databases/(default)/documents";

    /// <summary>Creates a document through the REST API (the provider's own interface, not the driver).</summary>
    public static async Task CreateAsync(FakeFirestore fake, string collection, string id, JsonObject fields)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fake.Url) };
        (await http.PostAsJsonAsync($"{Root}/{collection}?documentId={id}", new JsonObject { ["fields"] = fields })).EnsureSuccessStatusCode();
    }
}

/// <summary>gcp-firestore source: documents {seq, payload bytes} in a collection; clear rm, fail mv.</summary>
public abstract class FirestoreSourceConformance : SourceConformanceTests
{
    protected abstract Task<FirestoreBackend> StartBackendAsync();

    // A Firestore document holds at most 1 MiB.
    protected override int LargePayloadBytes => 700 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await StartBackendAsync(), "jobs" + Guid.NewGuid().ToString("N")[..8]);

    private sealed class Harness(FirestoreBackend backend, string collection) : ISourceHarness
    {
        private int _seq;

        public ISourceDriver CreateSource() => DriverFactory.Source(Registry.Gcp, "gcp-firestore", new Dictionary<string, string>
        {
            ["gcp-firestore-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-firestore-retrieve-collection"] = collection,
            ["gcp-firestore-retrieve-document-json-key"] = "payload",
            ["gcp-firestore-retrieve-query-order-by"] = "seq",
            ["gcp-firestore-retrieve-query-order"] = "asc",
            ["gcp-firestore-clear-op"] = "rm",
            ["gcp-firestore-fail-op"] = "mv",
            ["gcp-firestore-fail-collection"] = collection + "-failed",
        });

        public Task EnqueueAsync(byte[] payload)
        {
            var seq = Interlocked.Increment(ref _seq);
            return backend.CreateAsync(collection, $"job{seq:D4}", new JsonObject
            {
                ["seq"] = new JsonObject { ["integerValue"] = seq.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                ["payload"] = new JsonObject { ["bytesValue"] = Convert.ToBase64String(payload) },
            });
        }

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync()
        {
            var left = await backend.DocumentsAsync(collection);
            var failed = await backend.DocumentsAsync(collection + "-failed");
            return left.Values.Concat(failed.Values).Select(d => Convert.FromBase64String(d["payload"]!.GetValue<string>())).ToList();
        }

        /// <summary>What -gcp-firestore-fail-op mv moved to the fail collection.</summary>
        public async Task<IReadOnlyList<byte[]>?> FailedAsync() =>
            (await backend.DocumentsAsync(collection + "-failed")).Values.Select(d => Convert.FromBase64String(d["payload"]!.GetValue<string>())).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

/// <summary>gcp-firestore sink: each JSON object becomes a document named by its id.</summary>
public abstract class FirestoreSinkConformance : SinkConformanceTests
{
    protected abstract Task<FirestoreBackend> StartBackendAsync();

    protected override bool StoresRawBytes => false;

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await StartBackendAsync(), "out" + Guid.NewGuid().ToString("N")[..8]);

    private sealed class Harness(FirestoreBackend backend, string collection) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(Registry.Gcp, "gcp-firestore", new Dictionary<string, string>
        {
            ["gcp-firestore-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-firestore-collection"] = collection,
            ["gcp-firestore-id"] = "doc-{{id}}",
        });

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            (await backend.DocumentsAsync(collection)).Values.Select(d => Encoding.UTF8.GetBytes(d.ToJsonString())).ToList();

        public void AssertDelivered(byte[] pushed, byte[] received) =>
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pushed), JsonNode.Parse(received)), $"{Encoding.UTF8.GetString(received)} is not {Encoding.UTF8.GetString(pushed)}");

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

public sealed class FirestoreSourceOnFakeTests : FirestoreSourceConformance
{
    protected override Task<FirestoreBackend> StartBackendAsync() => FirestoreBackend.FakeAsync();
}

public sealed class FirestoreSinkOnFakeTests : FirestoreSinkConformance
{
    protected override Task<FirestoreBackend> StartBackendAsync() => FirestoreBackend.FakeAsync();
}

public sealed class FirestoreSourceOnEmulatorTests : FirestoreSourceConformance
{
    protected override Task<FirestoreBackend> StartBackendAsync() => FirestoreBackend.ContainerAsync();
}

public sealed class FirestoreSinkOnEmulatorTests : FirestoreSinkConformance
{
    protected override Task<FirestoreBackend> StartBackendAsync() => FirestoreBackend.ContainerAsync();
}

public sealed class FirestoreBehaviourOnFakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject Doc(string status, int priority) => new()
    {
        ["status"] = new JsonObject { ["stringValue"] = status },
        ["priority"] = new JsonObject { ["integerValue"] = priority.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    [Fact]
    public async Task Query_filter_and_order_pick_the_document_and_update_marks_it()
    {
        await using var fake = await FakeFirestore.StartNewAsync();
        await FirestoreRest.CreateAsync(fake, "tasks", "a", Doc("new", 1));
        await FirestoreRest.CreateAsync(fake, "tasks", "b", Doc("new", 5));
        await FirestoreRest.CreateAsync(fake, "tasks", "c", Doc("done", 9));
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-firestore", new Dictionary<string, string>
        {
            ["gcp-firestore-emulator-host"] = fake.HostPort, ["gcp-project-id"] = "p",
            ["gcp-firestore-retrieve-collection"] = "tasks",
            ["gcp-firestore-retrieve-query-path"] = "status",
            ["gcp-firestore-retrieve-query-op"] = "==",
            ["gcp-firestore-retrieve-query-value"] = "new",
            ["gcp-firestore-retrieve-query-order-by"] = "priority", // desc when unset, as in the original
            ["gcp-firestore-clear-op"] = "update",
            ["gcp-firestore-clear-update"] = """{"status":"done","by":"procx"}""",
        });
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);
        Assert.Equal("b", item.Key);
        Assert.Equal("""{"status":"new","priority":5}""", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
        await source.ClearAsync(item, Ct);
        var b = fake.Collection("tasks")["b"];
        Assert.Equal("done", b["status"]!.GetValue<string>());
        Assert.Equal("procx", b["by"]!.GetValue<string>());
        await using var next = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.Equal("a", next?.Key);
    }

    [Fact]
    public async Task A_document_changed_while_the_job_ran_is_not_overwritten_or_lost()
    {
        await using var fake = await FakeFirestore.StartNewAsync();
        await FirestoreRest.CreateAsync(fake, "tasks", "a", Doc("new", 1));
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-firestore", new Dictionary<string, string>
        {
            ["gcp-firestore-emulator-host"] = fake.HostPort, ["gcp-project-id"] = "p",
            ["gcp-firestore-retrieve-collection"] = "tasks", ["gcp-firestore-retrieve-document"] = "a",
            ["gcp-firestore-clear-op"] = "mv", ["gcp-firestore-clear-collection"] = "archive",
        });
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);
        using (var http = new HttpClient { BaseAddress = new Uri(fake.Url) })
        {
            (await http.PatchAsJsonAsync($"{FirestoreRest.Root}/tasks/a", new JsonObject { ["fields"] = Doc("edited", 2) }, Ct)).EnsureSuccessStatusCode();
        }
        var e = await Assert.ThrowsAsync<DriverException>(() => source.ClearAsync(item, Ct));
        Assert.Contains("FAILED_PRECONDITION", e.Message, StringComparison.Ordinal);
        Assert.Equal("edited", fake.Collection("tasks")["a"]["status"]!.GetValue<string>());
        Assert.Empty(fake.Collection("archive"));
    }

    [Fact]
    public async Task Sink_generates_an_id_when_none_is_set_and_refuses_non_objects()
    {
        await using var fake = await FakeFirestore.StartNewAsync();
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-firestore", new Dictionary<string, string>
        {
            ["gcp-firestore-emulator-host"] = fake.HostPort, ["gcp-project-id"] = "p", ["gcp-firestore-collection"] = "events",
        });
        await sink.PushAsync(Payload.FromBytes("""{"kind":"a","n":[1,2.5,{"x":null}]}"""u8.ToArray()), Ct);
        var (id, doc) = Assert.Single(fake.Collection("events"));
        Assert.Equal(20, id.Length);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"kind":"a","n":[1,2.5,{"x":null}]}"""), doc));
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("[1]"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Data, e.Kind);
    }
}
