using Drivers.Core.Contracts;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;

namespace Drivers.Gcp;

/// <summary>Query results as JSON objects, with each top-level column's type.</summary>
internal sealed record QueryResult(JsonArray Rows, Dictionary<string, string> Types);

/// <summary>One row insertAll did not insert: its index in the request and BigQuery's reason (invalid, stopped, …) and message.</summary>
internal sealed record InsertError(int Index, string Reason, string Message)
{
    /// <summary>Not inserted only because another row of the request was refused.</summary>
    public bool Stopped => Reason == "stopped";
}

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

    /// <summary>
    /// tabledata.insertAll of <paramref name="rows"/>, each with a fresh insertId; throws a data error naming
    /// BigQuery's reason when it refused rows (then it inserted none of them).
    /// </summary>
    public async Task InsertAllAsync(string dataset, string table, IReadOnlyList<JsonObject> rows, CancellationToken cancellationToken)
    {
        var errors = await InsertRowsAsync(dataset, table, rows.Select(r => (Guid.NewGuid().ToString("N"), r)).ToList(), cancellationToken).ConfigureAwait(false);
        if (errors.Count > 0)
        {
            var refused = errors.Where(e => !e.Stopped).ToList();
            var first = refused.Count > 0 ? refused[0] : errors[0];
            throw DriverException.DataError($"BigQuery refused {(refused.Count > 0 ? refused.Count : errors.Count)} row(s) for {dataset}.{table}: {first.Reason} {first.Message}");
        }
    }

    /// <summary>
    /// One tabledata.insertAll call (without skipInvalidRows: BigQuery inserts all the rows or none). The
    /// insertId makes a retried request idempotent (best-effort de-duplication by BigQuery), so a caller that
    /// sends a row again passes the same id. Returns insertErrors, one per row it names, by index in
    /// <paramref name="rows"/>; empty when every row was inserted.
    /// </summary>
    public async Task<IReadOnlyList<InsertError>> InsertRowsAsync(string dataset, string table, IReadOnlyList<(string InsertId, JsonObject Row)> rows, CancellationToken cancellationToken)
    {
        var project = await api.ProjectIdAsync(cancellationToken).ConfigureAwait(false);
        var wire = new JsonArray(rows.Select(r => (JsonNode)new JsonObject { ["insertId"] = r.InsertId, ["json"] = r.Row.DeepClone() }).ToArray());
        var (_, body) = await api.SendJsonAsync(HttpMethod.Post,
            $"/bigquery/v2/projects/{GcpApi.Segment(project)}/datasets/{GcpApi.Segment(dataset)}/tables/{GcpApi.Segment(table)}/insertAll",
            new JsonObject { ["rows"] = wire }, $"insert into {dataset}.{table}", cancellationToken).ConfigureAwait(false);
        var result = new List<InsertError>();
        foreach (var entry in (body?["insertErrors"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var index = entry["index"]?.GetValueKind() == JsonValueKind.Number ? entry["index"]!.GetValue<int>() : -1;
            var errors = (entry["errors"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            // A row BigQuery stopped is marked so only because another row of the request was refused.
            var error = errors.FirstOrDefault(e => Text(e["reason"]) != "stopped") ?? errors.FirstOrDefault();
            result.Add(new InsertError(index, Text(error?["reason"]) ?? "", Text(error?["message"]) ?? ""));
        }
        return result;
    }

    private static string? Text(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node?.ToJsonString();

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
