using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>The original's aws-dynamo settings: retrieve field, limit, next token, DynamoDB JSON, templates.</summary>
public abstract class DynamoBehaviour
{
    protected abstract Task<DynamoBackend> BackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Whole_item_is_plain_json_by_default_and_dynamodb_json_when_asked()
    {
        await using var backend = await BackendAsync();
        await backend.PutAsync("{'id': 'a', 'n': 5, 'ok': true}");
        var query = ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\"");

        await using (var plain = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(query)))
        await using (var item = await plain.FetchAsync(TimeSpan.Zero, Ct))
        {
            Assert.NotNull(item);
            var json = JsonNode.Parse(await item.Payload.ReadAllBytesAsync(Ct))!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse("{\"id\":\"a\",\"n\":5,\"ok\":true}"), json), json.ToJsonString());
        }
        await using (var typed = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(query, ("aws-dynamo-unmarshal-json", "false"))))
        await using (var item = await typed.FetchAsync(TimeSpan.Zero, Ct))
        {
            Assert.NotNull(item);
            var json = JsonNode.Parse(await item.Payload.ReadAllBytesAsync(Ct))!;
            Assert.Equal("a", (string?)json["id"]!["S"]);
            Assert.Equal("5", (string?)json["n"]!["N"]);
            Assert.True((bool)json["ok"]!["BOOL"]!);
        }
    }

    [Fact]
    public async Task Limit_and_next_token_page_through_and_the_token_can_be_included()
    {
        await using var backend = await BackendAsync();
        await backend.PutAsync("{'id': 'a'}");
        await backend.PutAsync("{'id': 'b'}");
        await using var source = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\""), ("aws-dynamo-limit", "1"), ("aws-dynamo-include-next-token", "true")));
        await using var first = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(first);
        var json = JsonNode.Parse(await first.Payload.ReadAllBytesAsync(Ct))!;
        var token = (string?)json["_nextToken"];
        Assert.False(string.IsNullOrEmpty(token), json.ToJsonString());

        await using var next = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\""), ("aws-dynamo-limit", "1"), ("aws-dynamo-next-token", token!)));
        await using var second = await next.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(second);
        Assert.NotEqual((string?)json["id"], (string?)JsonNode.Parse(await second.Payload.ReadAllBytesAsync(Ct))!["id"]);
    }

    [Fact]
    public async Task Retrieve_field_hands_over_one_field_and_a_missing_one_is_no_work()
    {
        await using var backend = await BackendAsync();
        await backend.PutAsync("{'id': 'a', 'work': 'hello'}");
        await using (var source = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\""), ("aws-dynamo-retrieve-field", "work"))))
        await using (var item = await source.FetchAsync(TimeSpan.Zero, Ct))
        {
            Assert.NotNull(item);
            Assert.Equal("hello"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
        }
        await using var missing = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\""), ("aws-dynamo-retrieve-field", "nothing")));
        Assert.Null(await missing.FetchAsync(TimeSpan.Zero, Ct));
    }

    [Fact]
    public async Task Fail_query_renders_from_the_failed_item_with_quotes_escaped()
    {
        await using var backend = await BackendAsync();
        await backend.PutAsync("{'id': 'it''s', 'status': 'pending'}");
        await using var source = DriverFactory.Source(AwsTestServices.Registry, "aws-dynamo", backend.Flags(
            ("aws-dynamo-retrieve-query", "SELECT * FROM \"$TABLE\" WHERE \"status\" = 'pending'"),
            ("aws-dynamo-fail-query", "UPDATE \"$TABLE\" SET \"status\" = 'failed' WHERE \"id\" = '{{id}}'")));
        await using var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.NotNull(item);

        await source.FailAsync(item, Ct);

        var stored = Assert.Single(await backend.ScanAsync());
        Assert.Equal("it's", stored["id"].S);
        Assert.Equal("failed", stored["status"].S);
        Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
    }
}

public sealed class DynamoBehaviourOnFakeTests : DynamoBehaviour
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.FakeAsync();
}

public sealed class DynamoBehaviourOnEmulatorTests : DynamoBehaviour
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.EmulatorAsync();
}
