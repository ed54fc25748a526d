using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Gcp.Tests.Fakes;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>
/// Where a test's GCP API runs: the in-process wire-level fake (always), or the real emulator in a
/// container (Testcontainers, where Docker answers; otherwise the test is skipped with the reason).
/// Tests talk to either through the API's own REST calls, never through the driver under test.
/// </summary>
public abstract class Backend : IAsyncDisposable
{
    protected Backend(string hostPort, IAsyncDisposable owner, string description)
    {
        HostPort = hostPort;
        Owner = owner;
        Description = description;
        Http = new HttpClient { BaseAddress = new Uri("http://" + hostPort), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>host:port for the *_EMULATOR_HOST variable.</summary>
    public string HostPort { get; }

    public string Description { get; }

    public HttpClient Http { get; }

    protected IAsyncDisposable Owner { get; }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Owner.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected static async Task<JsonNode?> Check(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {text}");
        }
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    /// <summary>Starts <paramref name="image"/> with Testcontainers, or skips the test saying why.</summary>
    internal static async Task<(IContainer Container, string HostPort)> StartContainerAsync(string service, string image, int port, Func<int, string[]> command, string readyPath)
    {
        if (!TestServices.DockerAvailable)
        {
            Assert.Skip($"{service} emulator container not run: no Docker engine here (the ...OnFake... tests run the same cases against the wire-level fake)");
        }
        var hostPort = FreePort();
        var container = new ContainerBuilder(image)
            .WithPortBinding(hostPort, port)
            .WithCommand(command(hostPort))
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort((ushort)port).ForPath(readyPath)))
            .Build();
        await container.StartAsync();
        TestServices.Announce(service, $"{image} in Docker (Testcontainers)");
        return (container, $"127.0.0.1:{hostPort}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

public sealed class GcsBackend : Backend
{
    private GcsBackend(string hostPort, IAsyncDisposable owner, string description, FakeGcs? fake) : base(hostPort, owner, description) => Fake = fake;

    public FakeGcs? Fake { get; }

    public static async Task<GcsBackend> FakeAsync()
    {
        var fake = await FakeGcs.StartNewAsync();
        TestServices.AnnounceFake("gcs", "in-process wire-level FakeGcs");
        return new GcsBackend(fake.HostPort, fake, "fake", fake);
    }

    public static async Task<GcsBackend> ContainerAsync()
    {
        var (container, hostPort) = await StartContainerAsync("gcs", "fsouza/fake-gcs-server:1.52.2", 4443,
            p => ["-scheme", "http", "-port", "4443", "-backend", "memory", "-external-url", $"http://127.0.0.1:{p}"], "/storage/v1/b");
        return new GcsBackend(hostPort, container, "fake-gcs-server", null);
    }

    public async Task<string> CreateBucketAsync()
    {
        var name = "b-" + Guid.NewGuid().ToString("N")[..12];
        await Check(await Http.PostAsJsonAsync("/storage/v1/b?project=test", new JsonObject { ["name"] = name }));
        return name;
    }

    public async Task PutAsync(string bucket, string name, byte[] data)
    {
        using var content = new ByteArrayContent(data);
        await Check(await Http.PostAsync($"/upload/storage/v1/b/{bucket}/o?uploadType=media&name={Uri.EscapeDataString(name)}", content));
    }

    /// <summary>Every object in the bucket, in name order, with its bytes.</summary>
    public async Task<List<(string Name, byte[] Data)>> ObjectsAsync(string bucket)
    {
        var result = new List<(string, byte[])>();
        string? page = null;
        do
        {
            var list = await Check(await Http.GetAsync($"/storage/v1/b/{bucket}/o" + (page is null ? "" : "?pageToken=" + Uri.EscapeDataString(page))));
            foreach (var item in (list?["items"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var name = item["name"]!.GetValue<string>();
                result.Add((name, await Http.GetByteArrayAsync($"/storage/v1/b/{bucket}/o/{Uri.EscapeDataString(name)}?alt=media")));
            }
            page = list?["nextPageToken"]?.GetValue<string>();
        }
        while (page is not null);
        return result;
    }
}

public sealed class PubSubBackend : Backend
{
    private PubSubBackend(string hostPort, IAsyncDisposable owner, string description, FakePubSub? fake) : base(hostPort, owner, description) => Fake = fake;

    public FakePubSub? Fake { get; }

    public const string Project = "test-project";

    public static async Task<PubSubBackend> FakeAsync()
    {
        var fake = await FakePubSub.StartNewAsync();
        TestServices.AnnounceFake("pubsub", "in-process wire-level FakePubSub");
        return new PubSubBackend(fake.HostPort, fake, "fake", fake);
    }

    public static async Task<PubSubBackend> ContainerAsync()
    {
        var (container, hostPort) = await StartContainerAsync("pubsub", "gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators", 8085,
            _ => ["gcloud", "beta", "emulators", "pubsub", "start", "--host-port=0.0.0.0:8085", $"--project={Project}"], "/");
        return new PubSubBackend(hostPort, container, "gcloud pubsub emulator", null);
    }

    /// <summary>A new topic with one subscription: (topic id, subscription id).</summary>
    public async Task<(string Topic, string Subscription)> CreateTopicAsync(int ackDeadlineSeconds = 10)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        await Check(await Http.PutAsJsonAsync($"/v1/projects/{Project}/topics/t-{id}", new JsonObject()));
        await Check(await Http.PutAsJsonAsync($"/v1/projects/{Project}/subscriptions/s-{id}",
            new JsonObject { ["topic"] = $"projects/{Project}/topics/t-{id}", ["ackDeadlineSeconds"] = ackDeadlineSeconds }));
        return ($"t-{id}", $"s-{id}");
    }

    public async Task PublishAsync(string topic, byte[] data, JsonObject? attributes = null)
    {
        var message = new JsonObject { ["data"] = Convert.ToBase64String(data) };
        if (attributes is not null)
        {
            message["attributes"] = attributes;
        }
        await Check(await Http.PostAsJsonAsync($"/v1/projects/{Project}/topics/{topic}:publish", new JsonObject { ["messages"] = new JsonArray(message) }));
    }

    /// <summary>Pulls everything deliverable now, then hands it straight back (deadline 0): a peek.</summary>
    public async Task<List<JsonObject>> PeekAsync(string subscription)
    {
        var all = new List<JsonObject>();
        var ackIds = new JsonArray();
        while (true)
        {
            var body = await Check(await Http.PostAsJsonAsync($"/v1/projects/{Project}/subscriptions/{subscription}:pull",
                new JsonObject { ["maxMessages"] = 100, ["returnImmediately"] = true }));
            var received = (body?["receivedMessages"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (received.Count == 0)
            {
                break;
            }
            foreach (var r in received)
            {
                all.Add((JsonObject)r["message"]!.DeepClone());
                ackIds.Add(r["ackId"]!.GetValue<string>());
            }
        }
        if (ackIds.Count > 0)
        {
            await Check(await Http.PostAsJsonAsync($"/v1/projects/{Project}/subscriptions/{subscription}:modifyAckDeadline",
                new JsonObject { ["ackIds"] = ackIds, ["ackDeadlineSeconds"] = 0 }));
        }
        return all;
    }

    public static byte[] Data(JsonObject message) => Convert.FromBase64String(message["data"]?.GetValue<string>() ?? "");

    public static string Text(JsonObject message) => Encoding.UTF8.GetString(Data(message));
}

public sealed class FirestoreBackend : Backend
{
    private FirestoreBackend(string hostPort, IAsyncDisposable owner, string description) : base(hostPort, owner, description)
    {
    }

    public const string Root = "/v1/projects/p/databases/(default)/documents";

    public static async Task<FirestoreBackend> FakeAsync()
    {
        var fake = await FakeFirestore.StartNewAsync();
        TestServices.AnnounceFake("firestore", "in-process wire-level FakeFirestore");
        return new FirestoreBackend(fake.HostPort, fake, "fake");
    }

    public static async Task<FirestoreBackend> ContainerAsync()
    {
        var (container, hostPort) = await StartContainerAsync("firestore", "gcr.io/google.com/cloudsdktool/google-cloud-cli:emulators", 8080,
            _ => ["gcloud", "emulators", "firestore", "start", "--host-port=0.0.0.0:8080"], "/");
        return new FirestoreBackend(hostPort, container, "gcloud firestore emulator");
    }

    public async Task CreateAsync(string collection, string id, JsonObject fields) =>
        await Check(await Http.PostAsJsonAsync($"{Root}/{collection}?documentId={id}", new JsonObject { ["fields"] = fields }));

    /// <summary>Documents of a collection by ID, as plain JSON (bytes as base64), read with the REST list call.</summary>
    public async Task<SortedDictionary<string, JsonObject>> DocumentsAsync(string collection)
    {
        var result = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        var body = await Check(await Http.GetAsync($"{Root}/{collection}?pageSize=1000"));
        foreach (var doc in (body?["documents"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = doc["name"]!.GetValue<string>();
            result[name[(name.LastIndexOf('/') + 1)..]] = Plain(doc["fields"] as JsonObject ?? []);
        }
        return result;
    }

    /// <summary>Firestore's typed fields to plain JSON, written here independently of the driver's conversion.</summary>
    public static JsonObject Plain(JsonObject fields)
    {
        var o = new JsonObject();
        foreach (var (key, value) in fields)
        {
            o[key] = PlainValue((JsonObject)value!);
        }
        return o;
    }

    private static JsonNode? PlainValue(JsonObject value)
    {
        var (kind, inner) = value.Single();
        return kind switch
        {
            "nullValue" => null,
            "integerValue" => JsonValue.Create(long.Parse(inner!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)),
            "doubleValue" => JsonValue.Create(inner!.GetValue<double>()),
            "booleanValue" => JsonValue.Create(inner!.GetValue<bool>()),
            "stringValue" or "bytesValue" or "timestampValue" => JsonValue.Create(inner!.GetValue<string>()),
            "mapValue" => Plain(inner?["fields"] as JsonObject ?? []),
            "arrayValue" => new JsonArray((inner?["values"] as JsonArray ?? []).Select(v => PlainValue((JsonObject)v!)).ToArray()),
            _ => throw new InvalidOperationException($"unexpected Firestore value kind {kind}"),
        };
    }
}

public sealed class BigQueryBackend : Backend
{
    private BigQueryBackend(string hostPort, IAsyncDisposable owner, string description, FakeBigQuery? fake) : base(hostPort, owner, description) => Fake = fake;

    public FakeBigQuery? Fake { get; }

    public static async Task<BigQueryBackend> FakeAsync()
    {
        var fake = await FakeBigQuery.StartNewAsync();
        TestServices.AnnounceFake("bigquery", "in-process wire-level FakeBigQuery");
        return new BigQueryBackend(fake.HostPort, fake, "fake", fake);
    }

    public static async Task<BigQueryBackend> ContainerAsync()
    {
        var (container, hostPort) = await StartContainerAsync("bigquery", "ghcr.io/goccy/bigquery-emulator:0.6.6", 9050,
            _ => ["--project=p", "--dataset=ds", "--port=9050"], "/bigquery/v2/projects/p/datasets");
        return new BigQueryBackend(hostPort, container, "goccy bigquery-emulator", null);
    }

    /// <summary>tables.insert in dataset ds of project p.</summary>
    public async Task CreateTableAsync(string table, params (string Name, string Type)[] fields) =>
        await Check(await Http.PostAsJsonAsync("/bigquery/v2/projects/p/datasets/ds/tables", new JsonObject
        {
            ["tableReference"] = new JsonObject { ["projectId"] = "p", ["datasetId"] = "ds", ["tableId"] = table },
            ["schema"] = new JsonObject { ["fields"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["type"] = f.Type }).ToArray()) },
        }));

    public async Task InsertAsync(string table, JsonObject row) =>
        await Check(await Http.PostAsJsonAsync($"/bigquery/v2/projects/p/datasets/ds/tables/{table}/insertAll",
            new JsonObject { ["rows"] = new JsonArray(new JsonObject { ["json"] = row }) }));

    /// <summary>jobs.query, rows as JSON objects (the driver's own row conversion is not used: plain f/v decoding).</summary>
    public async Task<List<JsonObject>> QueryAsync(string sql)
    {
        var body = await Check(await Http.PostAsJsonAsync("/bigquery/v2/projects/p/queries", new JsonObject { ["query"] = sql, ["useLegacySql"] = false }));
        var fields = (body?["schema"]?["fields"] as JsonArray ?? []).Select(f => f!["name"]!.GetValue<string>()).ToList();
        return (body?["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r =>
        {
            var o = new JsonObject();
            var cells = (JsonArray)r["f"]!;
            for (var i = 0; i < fields.Count; i++)
            {
                o[fields[i]] = cells[i]?["v"]?.DeepClone();
            }
            return o;
        }).ToList();
    }
}
