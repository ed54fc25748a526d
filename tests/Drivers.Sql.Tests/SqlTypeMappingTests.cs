using System.Text.Json.Nodes;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Sql.Tests;

/// <summary>Column types map to JSON faithfully (docs/sql.md, "Type mapping"), checked on the real servers.</summary>
public sealed class SqlTypeMappingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Postgres_types_map_to_json()
    {
        var db = await SqlBackend.PostgresAsync();
        var row = await FetchRowAsync(db, """
            SELECT 42::int AS i, 9007199254740993::bigint AS big, 12.50::numeric(6,2) AS dec, 1.5::float8 AS dbl,
                   true AS yes, NULL::text AS nothing, 'héllo "q"'::text AS txt,
                   '2024-05-06 07:08:09.123+00'::timestamptz AS tstz, '2024-05-06 07:08:09'::timestamp AS ts,
                   '2024-05-06'::date AS day, '\x00ff10'::bytea AS bin,
                   '{"a":[1,true,null],"b":{"c":"d"}}'::jsonb AS doc, '[1,2]'::json AS arr, ARRAY[1,2,3] AS ints,
                   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id
            """);
        Assert.Equal(42, row["i"]!.GetValue<long>());
        Assert.Equal(9007199254740993L, row["big"]!.GetValue<long>());
        Assert.Equal(12.50m, row["dec"]!.GetValue<decimal>());
        Assert.Equal(1.5, row["dbl"]!.GetValue<double>());
        Assert.True(row["yes"]!.GetValue<bool>());
        Assert.True(row.ContainsKey("nothing"));
        Assert.Null(row["nothing"]);
        Assert.Equal("héllo \"q\"", row["txt"]!.GetValue<string>());
        Assert.Equal("2024-05-06T07:08:09.123Z", row["tstz"]!.GetValue<string>());
        Assert.Equal("2024-05-06T07:08:09", row["ts"]!.GetValue<string>());
        Assert.StartsWith("2024-05-06", row["day"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(Convert.ToBase64String([0x00, 0xff, 0x10]), row["bin"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":[1,true,null],"b":{"c":"d"}}"""), row["doc"]), row.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[1,2]"), row["arr"]), row.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[1,2,3]"), row["ints"]), row.ToJsonString());
        Assert.Equal("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", row["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task MariaDb_types_map_to_json()
    {
        var db = await SqlBackend.MariaDbAsync();
        var table = SqlBackend.NewTable("types");
        await db.ExecAsync($"""
            CREATE TABLE {table} (i INT, big BIGINT, dec_ DECIMAL(6,2), dbl DOUBLE, yes TINYINT(1), nothing TEXT,
                txt VARCHAR(50), ts DATETIME(3), day DATE, bin BLOB, doc JSON)
            """);
        try
        {
            await db.ExecAsync($$"""
                INSERT INTO {{table}} VALUES (42, 9007199254740993, 12.50, 1.5, 1, NULL, 'héllo "q"',
                    '2024-05-06 07:08:09.123', '2024-05-06', X'00FF10', '{"a":[1,true,null]}')
                """);
            var row = await FetchRowAsync(db, $"SELECT * FROM {table}");
            Assert.Equal(42, row["i"]!.GetValue<long>());
            Assert.Equal(9007199254740993L, row["big"]!.GetValue<long>());
            Assert.Equal(12.50m, row["dec_"]!.GetValue<decimal>());
            Assert.Equal(1.5, row["dbl"]!.GetValue<double>());
            Assert.True(row["yes"]!.GetValue<bool>());
            Assert.Null(row["nothing"]);
            Assert.Equal("héllo \"q\"", row["txt"]!.GetValue<string>());
            Assert.Equal("2024-05-06T07:08:09.123", row["ts"]!.GetValue<string>());
            Assert.StartsWith("2024-05-06", row["day"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(Convert.ToBase64String([0x00, 0xff, 0x10]), row["bin"]!.GetValue<string>());
            // MariaDB's JSON is LONGTEXT with a check constraint: the wire says text, so it stays a string.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":[1,true,null]}"""), JsonNode.Parse(row["doc"]!.GetValue<string>())), row.ToJsonString());
        }
        finally
        {
            await db.DropAsync(table);
        }
    }

    /// <summary>Runs <paramref name="query"/> as the retrieve query and returns the payload's first row.</summary>
    private static async Task<JsonObject> FetchRowAsync(SqlBackend db, string query)
    {
        await using var source = DriverFactory.Source(SqlBackend.Registry, db.Driver, db.Flags(("retrieve-query", query)));
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);
        var payload = await item.Payload.ReadAllBytesAsync(Ct);
        await source.ClearAsync(item, Ct);
        var rows = JsonNode.Parse(payload)!.AsArray();
        return Assert.Single(rows)!.AsObject();
    }
}
