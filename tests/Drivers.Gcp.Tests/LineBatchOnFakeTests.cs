using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>
/// pushx -lines -batch-size into gcp-pubsub and gcp-bq through the published executable, against the
/// wire-level fakes (which count the publish and insertAll calls and the messages or rows in each): calls of at
/// most Pub/Sub's 1,000 messages and 500 rows, every line once and byte-exact with its own attributes, and
/// batches refused in part (a line named alone, the others pushed and teed) or as a whole (every line named);
/// gcp-bq with a query, and gcp-gcs, push one line at a time.
/// </summary>
public sealed class LineBatchOnFakeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Where calls are counted, -batch-timeout 1m: a batch is sent when full or at the end of the input, never
    // early because the test's writer was slow on a loaded machine.

    [Fact]
    public async Task Pubsub_lines_go_in_publish_calls_of_at_most_a_thousand_each_with_its_own_attributes_and_ordering_key()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var lines = Enumerable.Range(1, 2500).Select(i => $"{{\"n\":{i},\"k\":\"key{i % 3}\",\"text\":\"é {i}\"}}").ToList();

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx,
            ["-lines", "-batch-size", "5000", "-batch-timeout", "1m", "-gcp-pubsub-attributes", "{\"n\":\"{{n}}\"}", "-gcp-pubsub-ordering-key", "{{k}}"],
            PubSubEnv(pubsub, topic), Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([1000, 1000, 500], pubsub.Fake!.PublishCalls);
        var received = Unacked(pubsub, subscription);
        Assert.Equal(lines.Order(StringComparer.Ordinal), received.Select(m => Encoding.UTF8.GetString(m.Data)).Order(StringComparer.Ordinal));
        foreach (var message in received)
        {
            var line = JsonNode.Parse(message.Data)!;
            Assert.Equal(line["n"]!.GetValue<int>().ToString(CultureInfo.InvariantCulture), message.Attributes!["n"]!.GetValue<string>());
            Assert.Equal(line["k"]!.GetValue<string>(), message.OrderingKey);
        }
    }

    [Fact]
    public async Task Pubsub_nul_delimited_binary_records_are_published_byte_exact_in_batches()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        // Every byte but NUL, newlines and invalid UTF-8 among them.
        var records = Enumerable.Range(0, 300).Select(i => Enumerable.Range(0, 40 + i).Select(b => (byte)((b * 7 + i) % 255 + 1)).ToArray()).ToList();

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-batch-size", "128", "-batch-timeout", "1m"], PubSubEnv(pubsub, topic),
            records.SelectMany(rec => rec.Append((byte)0)).ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([128, 128, 44], pubsub.Fake!.PublishCalls);
        Assert.Equal(records, Unacked(pubsub, subscription).Select(m => m.Data)); // one subscriber: publish order kept
    }

    [Fact]
    public async Task Pubsub_a_line_its_ordering_key_cannot_be_rendered_from_is_refused_alone_and_the_rest_of_its_batch_published()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-pubsub-tee-{Guid.NewGuid():N}");
        try
        {
            // Line 3 is not JSON, so -gcp-pubsub-ordering-key {{k}} has nothing to render: a data error for it alone.
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "5", "-batch-timeout", "1m", "-gcp-pubsub-ordering-key", "{{k}}", "-out", tee],
                PubSubEnv(pubsub, topic), "{\"k\":\"a\"}\n{\"k\":\"b\"}\nnot json\n{\"k\":\"d\"}\n{\"k\":\"e\"}\n{\"k\":\"f\"}\n{\"k\":\"g\"}\n"u8.ToArray());

            Assert.True(r.ExitCode == 65, r.ToString());
            Assert.Contains("line 3 was not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("-gcp-pubsub-ordering-key", r.Stderr, StringComparison.Ordinal);
            Assert.Equal([4], pubsub.Fake!.PublishCalls); // the refused line was never sent, not even on its second try
            Assert.Equal(["a", "b", "d", "e"], Unacked(pubsub, subscription).Select(m => m.OrderingKey));
            Assert.Equal("{\"k\":\"a\"}\n{\"k\":\"b\"}\n{\"k\":\"d\"}\n{\"k\":\"e\"}\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
        }
    }

    [Fact]
    public async Task Pubsub_a_publish_refused_as_a_whole_names_every_line_of_its_batch_and_tees_none_of_them()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        pubsub.Fake!.RefuseData = "e"u8.ToArray();
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-pubsub-tee-{Guid.NewGuid():N}");
        try
        {
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "3", "-batch-timeout", "1m", "-out", tee], PubSubEnv(pubsub, topic), "a\nb\nc\nd\ne\nf\ng\nh\n"u8.ToArray());

            Assert.True(r.ExitCode == 69, r.ToString()); // every error answer of a Google API is exit 69 (docs/gcp.md)
            Assert.Contains("lines 4-6 were not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("HTTP 400 INVALID_ARGUMENT", r.Stderr, StringComparison.Ordinal);
            Assert.Equal([3, 3], pubsub.Fake.PublishCalls); // a 400 is not retried, and pushx stops at the failed call
            Assert.Equal(["a", "b", "c"], Unacked(pubsub, subscription).Select(m => Encoding.UTF8.GetString(m.Data)));
            Assert.Equal("a\nb\nc\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
        }
    }

    [Fact]
    public async Task Pubsub_a_batch_whose_attributes_take_the_request_past_10_MB_goes_in_two_publish_calls()
    {
        await using var pubsub = await PubSubBackend.FakeAsync();
        var (topic, subscription) = await pubsub.CreateTopicAsync();
        // 1,000 lines of 6,000 bytes fit one batch (7 MB); as base64 with a 2,000-byte attribute each they are 10 MB of JSON.
        var pad = new string('p', 2000);
        var head = $"{{\"n\":\"0000\",\"pad\":\"{pad}\",\"body\":\"\"}}";
        var body = new string('b', 6000 - head.Length);
        var lines = Enumerable.Range(1, 1000).Select(i => $"{{\"n\":\"{i:D4}\",\"pad\":\"{pad}\",\"body\":\"{body}\"}}").ToList();
        Assert.All(lines, l => Assert.Equal(6000, l.Length));

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx,
            ["-lines", "-batch-size", "1000", "-batch-bytes", "7000000", "-batch-timeout", "1m", "-gcp-pubsub-attributes", "{\"pad\":\"{{pad}}\"}"],
            PubSubEnv(pubsub, topic), Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        Assert.True(r.ExitCode == 0, r.ToString());
        var calls = pubsub.Fake!.PublishCalls.ToList();
        Assert.Equal(2, calls.Count);
        Assert.Equal(1000, calls.Sum());
        Assert.Equal(lines, Unacked(pubsub, subscription).Select(m => Encoding.UTF8.GetString(m.Data)));
    }

    [Fact]
    public async Task Bigquery_lines_go_in_insertAll_calls_of_at_most_500_and_each_row_arrives_once()
    {
        await using var bq = await BigQueryBackend.FakeAsync();
        await bq.CreateTableAsync("events", ("id", "INTEGER"), ("name", "STRING"));
        var lines = Enumerable.Range(1, 1200).Select(i => new JsonObject { ["id"] = i, ["name"] = $"名前 \"{i}\"\\" }).ToList();

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "2000", "-batch-timeout", "1m"], BigQueryEnv(bq, "events"),
            Encoding.UTF8.GetBytes(string.Join('\n', lines.Select(l => l.ToJsonString())) + "\n"));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([500, 500, 200], bq.Fake!.InsertAllCalls);
        var rows = bq.Fake.Rows("ds.events").OrderBy(x => x["id"]!.GetValue<long>()).ToList();
        Assert.Equal(1200, rows.Count);
        Assert.All(lines.Zip(rows), p => Assert.True(JsonNode.DeepEquals(p.First, p.Second), $"{p.Second} is not {p.First}"));
    }

    [Fact]
    public async Task Bigquery_a_batch_with_an_invalid_row_names_its_line_and_inserts_every_other_line_once()
    {
        await using var bq = await BigQueryBackend.FakeAsync();
        await bq.CreateTableAsync("events", ("id", "INTEGER"));
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-bq-tee-{Guid.NewGuid():N}");
        try
        {
            // Line 3 has a column the table lacks; line 4 is two rows. BigQuery inserts nothing of a request with
            // a refused row and marks the others stopped: they go again, line 3 is tried once more on its own.
            var input = "{\"id\":1}\n{\"id\":2}\n{\"id\":3,\"bogus\":true}\n[{\"id\":4},{\"id\":5}]\n{\"id\":6}\n{\"id\":7}\n"u8.ToArray();
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "5", "-batch-timeout", "1m", "-out", tee], BigQueryEnv(bq, "events"), input);

            Assert.True(r.ExitCode == 65, r.ToString());
            Assert.Contains("line 3 was not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("no such field: bogus", r.Stderr, StringComparison.Ordinal);
            Assert.Equal([6, 5, 1], bq.Fake!.InsertAllCalls);
            Assert.Equal([1L, 2, 4, 5, 6], bq.Fake.Rows("ds.events").Select(x => x["id"]!.GetValue<long>()).Order());
            Assert.Equal("{\"id\":1}\n{\"id\":2}\n[{\"id\":4},{\"id\":5}]\n{\"id\":6}\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
        }
    }

    [Fact]
    public async Task Bigquery_a_row_refused_for_a_passing_reason_is_inserted_when_pushx_sends_its_line_again()
    {
        await using var bq = await BigQueryBackend.FakeAsync();
        await bq.CreateTableAsync("events", ("id", "INTEGER"));
        var refusals = 0;
        bq.Fake!.RefuseRow = row => row["id"]!.GetValue<long>() == 3 && Interlocked.Increment(ref refusals) == 1 ? "backendError" : null;

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "5", "-batch-timeout", "1m"], BigQueryEnv(bq, "events"), "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n{\"id\":4}\n{\"id\":5}\n"u8.ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("lines refused by the sink: sending them once more", r.Stderr, StringComparison.Ordinal);
        Assert.Equal([5, 4, 1], bq.Fake.InsertAllCalls);
        Assert.Equal([1L, 2, 3, 4, 5], bq.Fake.Rows("ds.events").Select(x => x["id"]!.GetValue<long>()).Order());
    }

    [Fact]
    public async Task Bigquery_query_mode_has_no_batch_call_and_runs_one_statement_per_line()
    {
        await using var bq = await BigQueryBackend.FakeAsync();
        var env = BigQueryEnv(bq, null);
        env["PUSHX_GCP_BQ_QUERY"] = "INSERT INTO ds.q (id, name) VALUES ({{id}}, \"{{name}}\")";

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "10"], env, "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\"b\"}\n{\"id\":3,\"name\":\"c\"}\n"u8.ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("gcp-bq has no batch call", r.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, bq.Fake!.Statements.Count);
        Assert.Equal(["a", "b", "c"], bq.Fake.Rows("ds.q").Select(x => x["name"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Gcs_has_no_batch_call_and_writes_one_object_per_line()
    {
        await using var gcs = await GcsBackend.FakeAsync();
        var bucket = await gcs.CreateBucketAsync();
        var env = new Dictionary<string, string>
        {
            ["PUSHX_DRIVER"] = "gcp-gcs",
            ["PUSHX_GCP_PROJECT_ID"] = "test",
            ["PUSHX_GCP_GCS_BUCKET"] = bucket,
            ["PUSHX_GCP_GCS_KEY"] = "in/{{id}}.json",
            ["STORAGE_EMULATOR_HOST"] = gcs.HostPort,
        };

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "10"], env, "{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"u8.ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("gcp-gcs has no batch call", r.Stderr, StringComparison.Ordinal);
        Assert.Equal([("in/1.json", "{\"id\":1}"), ("in/2.json", "{\"id\":2}"), ("in/3.json", "{\"id\":3}")],
            (await gcs.ObjectsAsync(bucket)).Select(o => (o.Name, Encoding.UTF8.GetString(o.Data))));
    }

    private static List<FakePubSub.Message> Unacked(PubSubBackend pubsub, string subscription) =>
        pubsub.Fake!.Unacked($"projects/{PubSubBackend.Project}/subscriptions/{subscription}").ToList();

    private static Dictionary<string, string> PubSubEnv(PubSubBackend pubsub, string topic) => new()
    {
        ["PUSHX_DRIVER"] = "gcp-pubsub",
        ["PUSHX_GCP_PROJECT_ID"] = PubSubBackend.Project,
        ["PUSHX_GCP_TOPIC"] = topic,
        ["PUBSUB_EMULATOR_HOST"] = pubsub.HostPort,
    };

    private static Dictionary<string, string> BigQueryEnv(BigQueryBackend bq, string? table)
    {
        var env = new Dictionary<string, string>
        {
            ["PUSHX_DRIVER"] = "gcp-bq",
            ["PUSHX_GCP_PROJECT_ID"] = "p",
            ["BIGQUERY_EMULATOR_HOST"] = bq.HostPort,
        };
        if (table is not null)
        {
            env["PUSHX_GCP_BQ_DATASET"] = "ds";
            env["PUSHX_GCP_BQ_TABLE"] = table;
        }
        return env;
    }
}
