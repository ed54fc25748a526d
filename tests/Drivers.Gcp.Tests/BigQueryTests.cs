using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Templating;
using Drivers.Gcp.Tests.Fakes;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>
/// gcp-bq source over a fresh table (id, payload BYTES, status, note). The fail query notes the failure and
/// leaves the row new, so a failed job must come back to a later fetch and a released one must carry no note.
/// </summary>
public abstract class BigQuerySourceConformance : SourceConformanceTests
{
    protected abstract Task<BigQueryBackend> StartBackendAsync();

    protected override int LargePayloadBytes => 2 * 1024 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        var backend = await StartBackendAsync();
        var table = "t" + Guid.NewGuid().ToString("N")[..8];
        await backend.CreateTableAsync(table, ("id", "INTEGER"), ("payload", "BYTES"), ("status", "STRING"), ("note", "STRING"));
        return new Harness(backend, table);
    }

    private sealed class Harness(BigQueryBackend backend, string table) : ISourceHarness
    {
        private int _id;

        public ISourceDriver CreateSource() => DriverFactory.Source(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = backend.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-bq-retrieve-query"] = $"SELECT id, payload FROM ds.{table} WHERE status = 'new' ORDER BY id LIMIT 10",
            ["gcp-bq-retrieve-field"] = "payload",
            ["gcp-bq-clear-query"] = $"DELETE FROM ds.{table} WHERE id = {{{{0.id}}}}",
            ["gcp-bq-fail-query"] = $"UPDATE ds.{table} SET note = 'failed' WHERE id = {{{{0.id}}}}",
        });

        public Task EnqueueAsync(byte[] payload) =>
            backend.InsertAsync(table, new JsonObject { ["id"] = Interlocked.Increment(ref _id), ["payload"] = Convert.ToBase64String(payload), ["status"] = "new" });

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            (await backend.QueryAsync($"SELECT payload FROM ds.{table} ORDER BY id")).Select(r => Convert.FromBase64String(r["payload"]!.GetValue<string>())).ToList();

        public async Task<IReadOnlyList<byte[]>?> FailedAsync() =>
            (await backend.QueryAsync($"SELECT payload FROM ds.{table} WHERE note = 'failed' ORDER BY id")).Select(r => Convert.FromBase64String(r["payload"]!.GetValue<string>())).ToList();

        public ValueTask DisposeAsync() => backend.DisposeAsync();
    }
}

public sealed class BigQuerySourceOnFakeTests : BigQuerySourceConformance
{
    protected override Task<BigQueryBackend> StartBackendAsync() => BigQueryBackend.FakeAsync();
}

public sealed class BigQuerySourceOnEmulatorTests : BigQuerySourceConformance
{
    protected override Task<BigQueryBackend> StartBackendAsync() => BigQueryBackend.ContainerAsync();
}

/// <summary>gcp-bq sink in streaming-insert mode: each pushed JSON object becomes a row.</summary>
public sealed class BigQuerySinkOnFakeTests : SinkConformanceTests
{
    protected override bool StoresRawBytes => false;

    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        var fake = await FakeBigQuery.StartNewAsync();
        TestServices.AnnounceFake("bigquery", "in-process wire-level FakeBigQuery");
        using var http = new HttpClient { BaseAddress = new Uri(fake.Url) };
        (await http.PostAsJsonAsync("/bigquery/v2/projects/p/datasets/ds/tables", JsonNode.Parse("""
            {"tableReference":{"projectId":"p","datasetId":"ds","tableId":"rows"},
             "schema":{"fields":[{"name":"id","type":"INTEGER"},{"name":"name","type":"STRING"},{"name":"address","type":"RECORD"}]}}
            """))).EnsureSuccessStatusCode();
        return new Harness(fake);
    }

    private sealed class Harness(FakeBigQuery fake) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = fake.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-bq-dataset"] = "ds",
            ["gcp-bq-table"] = "rows",
        });

        public Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) =>
            Task.FromResult<IReadOnlyList<byte[]>>(fake.Rows("ds.rows").Select(r => Encoding.UTF8.GetBytes(r.ToJsonString())).ToList());

        public void AssertDelivered(byte[] pushed, byte[] received) =>
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(pushed), JsonNode.Parse(received)), $"{Encoding.UTF8.GetString(received)} is not {Encoding.UTF8.GetString(pushed)}");

        public ValueTask DisposeAsync() => fake.DisposeAsync();
    }
}

/// <summary>The seed's template, injection attempts, and the rules for holes outside quotes.</summary>
public sealed class BigQuerySafetyTests
{
    private const string SeedQuery = "INSERT INTO mydatatest.mytable (id, name, another) VALUES ({{id}}, \"{{name}}\", \"{{another}}\")";

    private static string Render(string template, string json) =>
        BigQuerySql.Render(Template.Parse(template), TemplateData.FromPayloadBytes(Encoding.UTF8.GetBytes(json)), "gcp-bq-query");

    [Fact]
    public void Seed_template_renders_as_before_for_plain_values() =>
        Assert.Equal("INSERT INTO mydatatest.mytable (id, name, another) VALUES (1, \"John\", \"x\")", Render(SeedQuery, """{"id":1,"name":"John","another":"x"}"""));

    [Fact]
    public void Quote_in_a_value_is_escaped_inside_its_literal() =>
        Assert.Equal("INSERT INTO mydatatest.mytable (id, name, another) VALUES (2, \"\\\"); DROP TABLE x; --\", \"it\\'s\\nnew\\\\\")",
            Render(SeedQuery, """{"id":2,"name":"\"); DROP TABLE x; --","another":"it's\nnew\\"}"""));

    [Fact]
    public void String_outside_quotes_is_refused_with_a_clear_error()
    {
        var e = Assert.Throws<DriverException>(() => Render(SeedQuery, """{"id":"1); DROP TABLE x; --","name":"a","another":"b"}"""));
        Assert.Contains("{{id}}", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside quotes", e.Message, StringComparison.Ordinal);
        Assert.Equal(FailureKind.Data, e.Kind);
    }

    [Theory]
    [InlineData("""{"v":12.5}""", "SELECT 12.5")]
    [InlineData("""{"v":"-7"}""", "SELECT -7")]
    [InlineData("""{"v":true}""", "SELECT TRUE")]
    [InlineData("""{"v":null}""", "SELECT NULL")]
    public void Numbers_booleans_and_null_stand_outside_quotes(string json, string expected) => Assert.Equal(expected, Render("SELECT {{v}}", json));

    [Fact]
    public void Missing_value_outside_quotes_is_refused() => Assert.Throws<DriverException>(() => Render("SELECT {{nope}}", "{}"));

    [Fact]
    public void Quotes_inside_comments_and_escaped_quotes_do_not_confuse_the_scanner()
    {
        Assert.Equal("SELECT 'a\\'b' /* \" */, \"x\\\"y\"", Render("SELECT 'a\\'b' /* \" */, \"{{v}}\"", """{"v":"x\"y"}"""));
        Assert.Equal("SELECT '''multi\\nline'''", Render("SELECT '''{{v}}'''", """{"v":"multi\nline"}"""));
    }

    [Fact]
    public void Raw_string_takes_only_values_it_can_hold()
    {
        Assert.Equal("SELECT r\"a.b\"", Render("SELECT r\"{{v}}\"", """{"v":"a.b"}"""));
        Assert.Throws<DriverException>(() => Render("SELECT r\"{{v}}\"", """{"v":"a\"b"}"""));
    }

    [Fact]
    public void Hole_in_a_comment_is_refused_at_start_up() =>
        Assert.Throws<DriverException>(() => BigQuerySql.Validate(Template.Parse("SELECT 1 -- {{v}}"), "gcp-bq-query"));

    [Fact]
    public async Task Injection_attempt_is_inserted_as_data_on_the_fake()
    {
        await using var fake = await FakeBigQuery.StartNewAsync();
        fake.SlowJobs = true; // the client must poll getQueryResults
        await using (var sink = DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = fake.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-bq-query"] = "INSERT INTO x (id, name) VALUES (0, 'seed')",
        }))
        {
            await sink.PushAsync(Payload.FromBytes("{}"u8.ToArray()), TestContext.Current.CancellationToken);
        }
        await using (var sink = DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = fake.HostPort,
            ["gcp-project-id"] = "p",
            ["gcp-bq-query"] = SeedQuery,
        }))
        {
            var evil = "\"); DROP TABLE x; --";
            var input = new JsonObject { ["id"] = 7, ["name"] = evil, ["another"] = "ok" };
            await sink.PushAsync(Payload.FromBytes(Encoding.UTF8.GetBytes(input.ToJsonString())), TestContext.Current.CancellationToken);
            var row = Assert.Single(fake.Rows("mydatatest.mytable"));
            Assert.Equal(evil, row["name"]!.GetValue<string>());
            Assert.True(fake.HasTable("x"), "the DROP TABLE in the value ran as SQL");
        }
    }

    [Fact]
    public async Task One_shot_push_of_rows_with_an_invalid_one_inserts_none_and_names_that_row_on_the_fake()
    {
        await using var backend = await BigQueryBackend.FakeAsync();
        await backend.CreateTableAsync("events", ("id", "INTEGER"));
        await using var sink = DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = backend.HostPort, ["gcp-project-id"] = "p", ["gcp-bq-dataset"] = "ds", ["gcp-bq-table"] = "events",
        });
        await using var querySink = DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = backend.HostPort, ["gcp-project-id"] = "p", ["gcp-bq-query"] = "SELECT 1",
        });
        Assert.True(sink is IBatchSink);
        Assert.False(querySink is IBatchSink, "a statement per push has no batch call");

        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(
            Payload.FromBytes("""[{"id":1},{"id":2,"bogus":1},{"id":3}]"""u8.ToArray()), TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.Data, e.Kind);
        Assert.Contains("refused 1 row(s) for ds.events: invalid no such field: bogus.", e.Message, StringComparison.Ordinal); // not the two stopped rows
        Assert.Empty(backend.Fake!.Rows("ds.events"));
    }

    [Fact]
    public async Task Source_payload_is_the_json_array_of_rows_and_clear_renders_from_them()
    {
        await using var fake = await FakeBigQuery.StartNewAsync();
        using var http = new HttpClient { BaseAddress = new Uri(fake.Url) };
        await using (var seed = DriverFactory.Sink(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = fake.HostPort, ["gcp-project-id"] = "p",
            ["gcp-bq-query"] = "INSERT INTO d.jobs (id, name) VALUES (1, 'a'), (2, 'b')",
        }))
        {
            await seed.PushAsync(Payload.FromBytes("{}"u8.ToArray()), TestContext.Current.CancellationToken);
        }
        await using var source = DriverFactory.Source(Registry.Gcp, "gcp-bq", new Dictionary<string, string>
        {
            ["gcp-bq-emulator-host"] = fake.HostPort, ["gcp-project-id"] = "p",
            ["gcp-bq-retrieve-query"] = "SELECT id, name FROM d.jobs ORDER BY id",
            ["gcp-bq-clear-query"] = "DELETE FROM d.jobs WHERE id = {{0.id}}",
        });
        await using var item = await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
        Assert.NotNull(item);
        Assert.Equal("""[{"id":1,"name":"a"},{"id":2,"name":"b"}]""", Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(TestContext.Current.CancellationToken)));
        await source.ClearAsync(item, TestContext.Current.CancellationToken);
        Assert.Contains("DELETE FROM d.jobs WHERE id = 1", fake.Statements);
        Assert.Equal(2, Assert.Single(fake.Rows("d.jobs"))["id"]!.GetValue<long>());
    }
}
