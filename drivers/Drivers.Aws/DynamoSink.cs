using System.Text.Json;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;

namespace Drivers.Aws;

/// <summary>Puts the input, a JSON object, into <c>-aws-dynamo-table</c> as one item (PutItem: replaces an item with the same key).</summary>
internal sealed class DynamoSink : ISinkDriver, IFailureTranslator
{
    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _table;
    private readonly AwsErrors _errors;

    public DynamoSink(DriverContext context)
    {
        _errors = new AwsErrors(context.Settings, "aws-dynamo");
        _table = context.Settings.GetRequiredString(DynamoSettings.Table);
        _dynamo = new AwsClientFactory(context.Settings).CreateDynamo();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        JsonObject document;
        try
        {
            document = JsonNode.Parse(bytes) as JsonObject
                ?? throw DriverException.DataError("aws-dynamo: the input must be a JSON object (one item)");
        }
        catch (JsonException e)
        {
            throw DriverException.DataError($"aws-dynamo: the input is not JSON: {e.Message}");
        }
        try
        {
            await _dynamo.PutItemAsync(new PutItemRequest { TableName = _table, Item = DynamoJson.FromJson(document) }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot put the item into {_table}", DynamoSettings.Table, invalid: FailureKind.Data);
        }
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public ValueTask DisposeAsync()
    {
        _dynamo.Dispose();
        return ValueTask.CompletedTask;
    }
}
