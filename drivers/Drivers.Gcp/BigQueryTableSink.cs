using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;

namespace Drivers.Gcp;

/// <summary>
/// Inserts the JSON input (an object, or an array of objects) into <c>-gcp-bq-dataset</c>.<c>-gcp-bq-table</c>
/// with the streaming <c>tabledata.insertAll</c>. A batch (pushx -lines -batch-size) is one insertAll of every
/// line's rows; BigQuery answers per row, so a refused line is named alone and the others are inserted.
/// </summary>
internal sealed class BigQueryTableSink(BigQueryClient bq, string dataset, string table) : ISinkDriver, IBatchSink
{
    // BigQuery's streaming-insert limits: 50,000 rows and 10 MB per request (500 rows recommended).
    private const int MaxRequestRows = 50_000;
    private const int MaxRequestBytes = 10_000_000;

    // An insertAll that refuses a row inserts none of the request; the others are sent again, this often at most.
    private const int MaxCalls = 3;

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var rows = Rows(await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false));
        if (rows.Count > 0)
        {
            await bq.InsertAllAsync(dataset, table, rows, cancellationToken).ConfigureAwait(false);
        }
    }

    public int MaxBatchCount => 500;

    // The lines are JSON already; the request re-encodes them (non-ASCII escaped) and adds an insertId per row,
    // and a batch that grows past 10 MB that way goes in more than one request.
    public long MaxBatchBytes => 9_000_000;

    /// <summary>
    /// One insertAll of all the lines' rows, each line's rows together (a line is inserted whole or not at all,
    /// as a one-shot push of it is). BigQuery inserts none of a request in which it refused a row: the lines
    /// with a refused row are reported by index (invalid: a data error; any other reason: transient) and the
    /// others sent again with the same insertIds. A line that is not JSON rows is refused without being sent.
    /// </summary>
    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var rejections = new List<BatchRejection>();
        var pending = new List<Line>();
        for (var i = 0; i < messages.Count; i++)
        {
            try
            {
                var rows = Rows(messages[i].ToArray());
                if (rows.Count > 0)
                {
                    pending.Add(new Line(i, rows.Select(r => (Guid.NewGuid().ToString("N"), r)).ToList(),
                        rows.Sum(r => Encoding.UTF8.GetByteCount(r.ToJsonString()) + 64)));
                }
            }
            catch (DriverException e)
            {
                rejections.Add(new BatchRejection(i, e));
            }
        }
        var inserted = 0;
        for (var call = 1; call <= MaxCalls && pending.Count > 0; call++)
        {
            var again = new List<Line>();
            var requests = Requests(pending);
            for (var r = 0; r < requests.Count; r++)
            {
                var lines = requests[r];
                var rows = lines.SelectMany(l => l.Rows).ToList();
                IReadOnlyList<InsertError> errors;
                try
                {
                    errors = await bq.InsertRowsAsync(dataset, table, rows, cancellationToken).ConfigureAwait(false);
                }
                catch (DriverException e) when (inserted > 0)
                {
                    // Some lines are in the table: this request's lines and those not yet sent are refused.
                    rejections.AddRange(requests.Skip(r).SelectMany(x => x).Concat(again).Select(l => new BatchRejection(l.Index, e)));
                    return rejections.OrderBy(x => x.Index).ToList();
                }
                if (errors.Count == 0)
                {
                    inserted += lines.Count;
                    continue;
                }
                var lineOfRow = lines.SelectMany(l => l.Rows.Select(_ => l)).ToList();
                var refused = new Dictionary<int, InsertError>();
                foreach (var error in errors.Where(e => !e.Stopped && e.Index >= 0 && e.Index < rows.Count))
                {
                    refused.TryAdd(lineOfRow[error.Index].Index, error);
                }
                foreach (var line in lines)
                {
                    if (refused.TryGetValue(line.Index, out var error))
                    {
                        rejections.Add(new BatchRejection(line.Index, Refused(error)));
                    }
                    else
                    {
                        again.Add(line);
                    }
                }
            }
            pending = again;
        }
        rejections.AddRange(pending.Select(l => new BatchRejection(l.Index,
            DriverException.Transient($"gcp-bq: BigQuery stopped the line's rows {MaxCalls} times because other rows of the request were refused; nothing of it was inserted into {dataset}.{table}"))));
        return rejections.OrderBy(x => x.Index).ToList();
    }

    /// <summary>The lines in requests of at most 50,000 rows and 10 MB each (a larger line alone in its own).</summary>
    private static List<List<Line>> Requests(List<Line> lines)
    {
        var requests = new List<List<Line>>();
        var rows = 0;
        long bytes = 0;
        foreach (var line in lines)
        {
            if (requests.Count == 0 || rows + line.Rows.Count > MaxRequestRows || bytes + line.Bytes > MaxRequestBytes)
            {
                requests.Add([]);
                rows = 0;
                bytes = 0;
            }
            requests[^1].Add(line);
            rows += line.Rows.Count;
            bytes += line.Bytes;
        }
        return requests;
    }

    private DriverException Refused(InsertError error)
    {
        var text = $"gcp-bq: BigQuery refused a row of the line for {dataset}.{table}: {error.Reason}: {error.Message}".TrimEnd().TrimEnd(':');
        return error.Reason == "invalid" ? DriverException.DataError(text) : DriverException.Transient(text);
    }

    private static List<JsonObject> Rows(byte[] bytes)
    {
        JsonNode? input;
        try
        {
            input = JsonNode.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw DriverException.DataError($"gcp-bq with -gcp-bq-table needs JSON input: {e.Message}");
        }
        return input switch
        {
            JsonObject one => [one],
            JsonArray many when many.All(x => x is JsonObject) => many.Cast<JsonObject>().ToList(),
            _ => throw DriverException.DataError("gcp-bq with -gcp-bq-table needs a JSON object or an array of objects"),
        };
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>A line of the batch: its index, its rows with their insertIds, and about how many request bytes they take.</summary>
    private sealed record Line(int Index, List<(string InsertId, JsonObject Row)> Rows, long Bytes);
}
