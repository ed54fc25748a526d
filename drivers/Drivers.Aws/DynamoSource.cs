using System.Text;
using System.Text.Json.Nodes;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Takes the first item a PartiQL statement (ExecuteStatement) returns, as JSON; clear and fail run PartiQL
/// statements rendered from that item's own values (<c>{{id}}</c>), with single quotes doubled so a value
/// cannot end a PartiQL string. Items another job of this process holds are skipped. DynamoDB has no lease:
/// two procx processes can take the same item unless the statements claim it (see docs/aws.md).
/// </summary>
internal sealed class DynamoSource : ISourceDriver, IFailureTranslator
{
    private const int MaxPages = 10;

    private readonly IAmazonDynamoDB _dynamo;
    private readonly string _retrieve;
    private readonly string? _field;
    private readonly Template? _clear;
    private readonly Template? _fail;
    private readonly int _limit;
    private readonly string? _nextToken;
    private readonly bool _includeNextToken;
    private readonly bool _plainJson;
    private readonly ILog _log;
    private readonly AwsErrors _errors;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clearedInPlace = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public DynamoSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _errors = new AwsErrors(settings, "aws-dynamo");
        _retrieve = settings.GetRequiredString(DynamoSettings.RetrieveQuery);
        _field = settings.GetString(DynamoSettings.RetrieveField) is { Length: > 0 } f ? f : null;
        _clear = ParseTemplate(settings, DynamoSettings.ClearQuery);
        _fail = ParseTemplate(settings, DynamoSettings.FailQuery);
        _limit = settings.GetInt(DynamoSettings.Limit); // 0 or more: the setting declares its range
        _nextToken = settings.GetString(DynamoSettings.NextToken) is { Length: > 0 } t ? t : null;
        _includeNextToken = settings.GetBool(DynamoSettings.IncludeNextToken);
        _plainJson = settings.GetBool(DynamoSettings.UnmarshalJson);
        _dynamo = new AwsClientFactory(settings).CreateDynamo();
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var token = _nextToken;
        for (var page = 0; page < MaxPages; page++)
        {
            var request = new ExecuteStatementRequest { Statement = _retrieve, NextToken = token };
            if (_limit > 0)
            {
                request.Limit = _limit;
            }
            var response = await ExecuteAsync(request, "retrieve", cancellationToken).ConfigureAwait(false);
            foreach (var item in response.Items ?? [])
            {
                var identity = DynamoJson.ToTypedJson(item).ToJsonString();
                lock (_gate)
                {
                    if (_inFlight.Contains(identity) || _clearedInPlace.Contains(identity))
                    {
                        continue;
                    }
                    _inFlight.Add(identity);
                }
                var json = _plainJson ? DynamoJson.ToPlainJson(item) : DynamoJson.ToTypedJson(item);
                if (_includeNextToken)
                {
                    json["_nextToken"] = response.NextToken;
                }
                var data = TemplateData.FromJson(json);
                var payload = BuildPayload(json, data);
                if (payload is null)
                {
                    // The original hands over nothing when the field is missing or empty.
                    Release(identity);
                    return null;
                }
                return new WorkItem(Payload.FromBytes(payload)) { Key = identity, TemplateData = data };
            }
            token = response.NextToken;
            if (token is null)
            {
                break;
            }
        }
        return null;
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, "clear", cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, "fail", cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        Release(item.Key!);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _dynamo.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task SettleAsync(WorkItem item, Template? statement, string phase, CancellationToken cancellationToken)
    {
        var identity = item.Key!;
        try
        {
            if (statement is not null)
            {
                var text = statement.Render(item.TemplateData ?? TemplateData.Empty, QuoteSafe);
                _log.Debug($"{phase} statement", ("statement", text));
                await ExecuteAsync(new ExecuteStatementRequest { Statement = text }, phase, cancellationToken).ConfigureAwait(false);
            }
            else if (phase == "clear")
            {
                // Nothing changes the item: remember it so a daemon does not run it again.
                lock (_gate)
                {
                    _clearedInPlace.Add(identity);
                }
            }
        }
        finally
        {
            Release(identity);
        }
    }

    private byte[]? BuildPayload(JsonObject json, TemplateData data)
    {
        if (_field is null)
        {
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        }
        var value = data.Resolve(_field, out var found);
        if (!found || value is null)
        {
            return null;
        }
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString();
        return text.Length == 0 ? null : Encoding.UTF8.GetBytes(text);
    }

    private async Task<ExecuteStatementResponse> ExecuteAsync(ExecuteStatementRequest request, string phase, CancellationToken cancellationToken)
    {
        try
        {
            return await _dynamo.ExecuteStatementAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            var statement = phase switch
            {
                "clear" => DynamoSettings.ClearQuery,
                "fail" => DynamoSettings.FailQuery,
                _ => DynamoSettings.RetrieveQuery,
            };
            throw _errors.For(e, $"the {phase} statement failed", statement);
        }
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    private void Release(string identity)
    {
        lock (_gate)
        {
            _inFlight.Remove(identity);
        }
    }

    /// <summary>Values go inside PartiQL string literals: a single quote is doubled.</summary>
    private static string QuoteSafe(TemplateValue value) => Template.FormatDefault(value).Replace("'", "''", StringComparison.Ordinal);

    private static Template? ParseTemplate(SettingValues settings, Setting setting)
    {
        if (settings.GetString(setting) is not { Length: > 0 } text)
        {
            return null;
        }
        try
        {
            return Template.Parse(text);
        }
        catch (TemplateException e)
        {
            throw settings.Invalid(setting, e.Message);
        }
    }
}
