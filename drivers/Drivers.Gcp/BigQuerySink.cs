using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Either runs <c>-gcp-bq-query</c> rendered from the JSON input (injection-safe, see <see cref="BigQuerySql"/>),
/// or inserts the JSON input (an object, or an array of objects) into <c>-gcp-bq-dataset</c>.<c>-gcp-bq-table</c>
/// with the streaming insert API.
/// </summary>
internal sealed class BigQuerySink : ISinkDriver
{
    private readonly BigQueryClient _bq;
    private readonly SettingTemplate? _query;
    private readonly string? _dataset;
    private readonly string? _table;

    public BigQuerySink(DriverContext context)
    {
        var settings = context.Settings;
        var query = settings.GetString(BigQuerySettings.Query);
        _dataset = settings.GetString(BigQuerySettings.Dataset) is { Length: > 0 } d ? d : null;
        _table = settings.GetString(BigQuerySettings.Table) is { Length: > 0 } t ? t : null;
        if (!string.IsNullOrEmpty(query))
        {
            if (_table is not null)
            {
                throw settings.Invalid(BigQuerySettings.Table, "set either -gcp-bq-query or -gcp-bq-dataset with -gcp-bq-table, not both");
            }
            _query = SettingTemplate.Parse(settings, BigQuerySettings.Query, query);
            BigQuerySql.Validate(_query.Template, BigQuerySettings.Query.Name);
        }
        else if (_table is null || _dataset is null)
        {
            throw settings.Invalid(BigQuerySettings.Query, "set -gcp-bq-query, or -gcp-bq-dataset and -gcp-bq-table");
        }
        _bq = new BigQueryClient(GcpApi.Create(settings, GcpService.BigQuery, GcpSettings.BigQueryEmulatorHost));
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        if (_query is not null)
        {
            // A field one JSON input lacks renders as in the original (empty inside quotes; outside quotes an
            // error); input that is not JSON at all while the query reads fields is a data error.
            var data = TemplateData.FromPayloadBytes(bytes);
            _query.RequireDocument(data);
            var sql = BigQuerySql.Render(_query.Template, data, BigQuerySettings.Query.Name);
            await _bq.QueryAsync(sql, cancellationToken).ConfigureAwait(false);
            return;
        }
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw DriverException.DataError($"gcp-bq with -gcp-bq-table needs JSON input: {e.Message}");
        }
        var rows = input switch
        {
            JsonObject one => [one],
            JsonArray many when many.All(x => x is JsonObject) => many.Cast<JsonObject>().ToList(),
            _ => throw DriverException.DataError("gcp-bq with -gcp-bq-table needs a JSON object or an array of objects"),
        };
        if (rows.Count > 0)
        {
            await _bq.InsertAllAsync(_dataset!, _table!, rows, cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
