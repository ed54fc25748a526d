using System.Text.Json.Nodes;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>The published (AOT) pushx and procx on DynamoDB: a document in with PutItem, out with PartiQL.</summary>
public abstract class DynamoEndToEnd
{
    protected abstract Task<DynamoBackend> BackendAsync();

    [Fact]
    public async Task Document_pushed_is_taken_by_procx_and_cleared()
    {
        await using var backend = await BackendAsync();
        var env = AwsTestServices.ToolEnv();
        env["PUSHX_DRIVER"] = "aws-dynamo";
        env["PUSHX_AWS_DYNAMO_TABLE"] = backend.Table;
        env["PUSHX_AWS_ENDPOINT_URL"] = backend.Endpoint;
        var pushed = await ToolRunner.RunAsync(ToolRunner.Pushx, [], env, "{\"id\":\"o'brien-1\",\"status\":\"pending\",\"qty\":3,\"tags\":[\"a\",\"b\"]}"u8.ToArray());
        Assert.True(pushed.ExitCode == 0, pushed.ToString());

        env = AwsTestServices.ToolEnv();
        env["PROCX_DRIVER"] = "aws-dynamo";
        env["PROCX_AWS_ENDPOINT_URL"] = backend.Endpoint;
        env["PROCX_AWS_DYNAMO_RETRIEVE_QUERY"] = $"SELECT * FROM \"{backend.Table}\" WHERE \"status\" = 'pending'";
        env["PROCX_AWS_DYNAMO_CLEAR_QUERY"] = $"DELETE FROM \"{backend.Table}\" WHERE \"id\" = '{{{{id}}}}'";
        var taken = await ToolRunner.RunAsync(ToolRunner.Procx, ["-pass-work-as-stdin", "cat"], env);

        Assert.True(taken.ExitCode == 0, taken.ToString());
        var item = JsonNode.Parse(taken.StdoutText)!;
        Assert.Equal("o'brien-1", (string?)item["id"]);
        Assert.Equal(3, (int)item["qty"]!);
        Assert.Equal("b", (string?)item["tags"]![1]);
        // The quote in the key was doubled inside the PartiQL string, so the DELETE found the item.
        Assert.Empty(await backend.ScanAsync());
    }
}

public sealed class DynamoEndToEndOnFakeTests : DynamoEndToEnd
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.FakeAsync();
}

public sealed class DynamoEndToEndOnEmulatorTests : DynamoEndToEnd
{
    protected override Task<DynamoBackend> BackendAsync() => DynamoBackend.EmulatorAsync();
}
