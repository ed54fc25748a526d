using Drivers.Core.Contracts;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;

namespace Drivers.Gcp;

/// <summary>Query results as JSON objects, with each top-level column's type.</summary>
internal sealed record QueryResult(JsonArray Rows, Dictionary<string, string> Types);

/// <summary>BigQuery REST v2: jobs.query (+ getQueryResults while the job runs and for further pages) and tabledata.insertAll.</summary>
internal sealed class BigQueryClient(GcpApi api)
{
    public async Task<QueryResult> QueryAsync(string sql, CancellationToken cancellationToken)
    {
        var project = await api.ProjectIdAsync(cancellationToken).ConfigureAwait(false);
        var request = new JsonObject { ["query"] = sql, ["useLegacySql"] = false, ["timeoutMs"] = 20000 };
        var (_, body) = await api.SendJsonAsync(HttpMethod.Post, $"/bigquery/v2/projects/{GcpApi.Segment(project)}/queries", request, "query", cancellationToken).ConfigureAwait(false);
        var rows = new JsonArray();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            ThrowOnErrors(body);
            var job = body?["jobReference"] as JsonObject;
            var jobId = job?["jobId"]?.GetValue<string>();
            var location = job?["location"]?.GetValue<string>();
            var complete = body?["jobComplete"]?.GetValue<bool>() ?? true;
            string? pageToken = null;
            if (complete)
            {
                var fields = body?["schema"]?["fields"] as JsonArray;
                foreach (var field in fields?.OfType<JsonObject>() ?? [])
                {
                    types[field["name"]!.GetValue<string>()] = field["type"]?.GetValue<string>() ?? "STRING";
                }
                foreach (var row in (body?["rows"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    rows.Add((JsonNode)ConvertRow(row, fields));
                }
                pageToken = body?["pageToken"]?.GetValue<string>();
                if (pageToken is null)
                {
                    return new QueryResult(rows, types);
                }
            }
            if (jobId is null)
            {
                throw DriverException.Transient("BigQuery query: the answer names no job to wait for");
            }
            var url = $"/bigquery/v2/projects/{GcpApi.Segment(project)}/queries/{GcpApi.Segment(jobId)}?timeoutMs=20000";
            if (location is not null)
            {
                url += "&location=" + Uri.EscapeDataString(location);
            }
            if (pageToken is not null)
            {
                url += "&pageToken=" + Uri.EscapeDataString(pageToken);
            }
            (_, body) = await api.SendJsonAsync(HttpMethod.Get, url, null, "get query results", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task InsertAllAsync(string dataset, string table, IReadOnlyList<JsonObject> rows, CancellationToken cancellationToken)
    {
        var project = await api.ProjectIdAsync(cancellationToken).ConfigureAwait(false);
        // insertId makes a retried request idempotent (best-effort de-duplication by BigQuery).
        var wire = new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["insertId"] = Guid.NewGuid().ToString("N"), ["json"] = r.DeepClone() }).ToArray());
        var (_, body) = await api.SendJsonAsync(HttpMethod.Post,
            $"/bigquery/v2/projects/{GcpApi.Segment(project)}/datasets/{GcpApi.Segment(dataset)}/tables/{GcpApi.Segment(table)}/insertAll",
            new JsonObject { ["rows"] = wire }, $"insert into {dataset}.{table}", cancellationToken).ConfigureAwait(false);
        if (body?["insertErrors"] is JsonArray { Count: > 0 } errors)
        {
            var first = errors[0]?["errors"]?[0];
            throw DriverException.DataError($"BigQuery refused {errors.Count} row(s) for {dataset}.{table}: {first?["reason"]} {first?["message"]}");
        }
    }

    private static void ThrowOnErrors(JsonNode? body)
    {
        if (body?["status"]?["errorResult"] is JsonObject error)
        {
            throw DriverException.Transient($"BigQuery query failed: {error["reason"]}: {error["message"]}");
        }
    }

    /// <summary>A row in the f/v wire form to a JSON object, typed by the schema.</summary>
    internal static JsonObject ConvertRow(JsonObject row, JsonArray? fields)
    {
        var result = new JsonObject();
        var cells = row["f"] as JsonArray ?? [];
        for (var i = 0; i < cells.Count && fields is not null && i < fields.Count; i++)
        {
            var field = (JsonObject)fields[i]!;
            result[field["name"]!.GetValue<string>()] = ConvertCell(cells[i]?["v"], field);
        }
        return result;
    }

    private static JsonNode? ConvertCell(JsonNode? v, JsonObject field)
    {
        if (v is null)
        {
            return null;
        }
        if (field["mode"]?.GetValue<string>() == "REPEATED" && v is JsonArray items)
        {
            var single = (JsonObject)field.DeepClone();
            single.Remove("mode");
            return new JsonArray(items.Select(item => ConvertCell(item?["v"], single)).ToArray());
        }
        var type = field["type"]?.GetValue<string>() ?? "STRING";
        if (type is "RECORD" or "STRUCT")
        {
            return v is JsonObject record ? ConvertRow(record, field["fields"] as JsonArray) : null;
        }
        var text = v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();
        return type switch
        {
            "INTEGER" or "INT64" when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            "FLOAT" or "FLOAT64" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) => JsonValue.Create(d),
            "NUMERIC" or "BIGNUMERIC" when decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m) => JsonValue.Create(m),
            "BOOLEAN" or "BOOL" => JsonValue.Create(string.Equals(text, "true", StringComparison.OrdinalIgnoreCase)),
            "JSON" => TryParse(text),
            _ => JsonValue.Create(text),
        };
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }
}
