using System.Collections;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Drivers.Sql;

/// <summary>
/// Rows as JSON, faithfully typed: numbers stay numbers, booleans booleans, NULL null; timestamps are ISO 8601
/// (with an offset only when the column has one), bytea/blob/varbinary base64, json/jsonb nested JSON,
/// arrays JSON arrays. Everything else (uuid, inet, interval, …) is its text form.
/// </summary>
internal static class SqlJson
{
    /// <summary>Reads every row; <paramref name="binaryColumns"/> collects the columns that held bytes.</summary>
    public static async Task<JsonArray> ReadRowsAsync(DbDataReader reader, ISet<string> binaryColumns, CancellationToken cancellationToken) =>
        (await ReadRowsAsync(reader, binaryColumns, null, cancellationToken).ConfigureAwait(false)).Rows;

    /// <summary>
    /// As above; the first row's <see cref="PayloadColumn.Name"/>, when the client reads it as UTF-8 bytes, is
    /// returned as those bytes and left out of the rows unless the templates read it. Never the first column:
    /// that one is the job's key.
    /// </summary>
    public static async Task<(JsonArray Rows, byte[]? Payload)> ReadRowsAsync(DbDataReader reader, ISet<string> binaryColumns, PayloadColumn? payloadColumn, CancellationToken cancellationToken)
    {
        var rows = new JsonArray();
        byte[]? payload = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var row = new JsonObject();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = reader.GetName(i);
                if (reader.GetFieldType(i) == typeof(byte[]))
                {
                    binaryColumns.Add(name);
                }
                var isNull = await reader.IsDBNullAsync(i, cancellationToken).ConfigureAwait(false);
                if (rows.Count == 0 && i > 0 && !isNull && payloadColumn is { } column && column.Name == name && column.Read(reader, i) is { } bytes)
                {
                    payload = bytes;
                    if (column.TemplatesReadIt)
                    {
                        row[name] = JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes));
                    }
                    continue;
                }
                row[name] = ToJson(isNull ? null : reader.GetValue(i), reader.GetDataTypeName(i));
            }
            rows.Add((JsonNode)row);
        }
        return (rows, payload);
    }

    public static JsonNode? ToJson(object? value, string dataTypeName) => value switch
    {
        null or DBNull => null,
        bool b => JsonValue.Create(b),
        string s when IsJsonType(dataTypeName) => ParseJson(s),
        string s => JsonValue.Create(s),
        char c => JsonValue.Create(c.ToString()),
        byte or sbyte or short or ushort or int or uint or long => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong u => JsonValue.Create(u),
        decimal d => JsonValue.Create(d),
        float f when float.IsFinite(f) => JsonValue.Create(f),
        double d when double.IsFinite(d) => JsonValue.Create(d),
        float or double => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
        // timestamp without time zone / DATETIME: no offset, because the column has none.
        DateTime { Kind: DateTimeKind.Unspecified } dt => JsonValue.Create(dt.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        DateTime dt => JsonValue.Create(dt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFZ", CultureInfo.InvariantCulture)),
        DateTimeOffset dto => JsonValue.Create(dto.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture)),
        DateOnly d => JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        TimeOnly t => JsonValue.Create(t.ToString("HH:mm:ss.FFFFFFF", CultureInfo.InvariantCulture)),
        TimeSpan ts => JsonValue.Create(ts.ToString("c", CultureInfo.InvariantCulture)),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        Guid g => JsonValue.Create(g.ToString()),
        // postgres arrays (int[], text[], …)
        Array array => new JsonArray(array.Cast<object?>().Select(e => ToJson(e, "")).ToArray()),
        IEnumerable and not string => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    // json/jsonb (postgres, cockroach), JSON (MySQL 8). MariaDB's JSON is LONGTEXT on the wire: it arrives as text.
    private static bool IsJsonType(string dataTypeName) =>
        dataTypeName.Equals("json", StringComparison.OrdinalIgnoreCase) || dataTypeName.Equals("jsonb", StringComparison.OrdinalIgnoreCase);

    private static JsonNode? ParseJson(string text)
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

/// <summary>The first row's column that is procx's payload (<c>-…-retrieve-field work</c>), and how to read it as bytes.</summary>
internal sealed record PayloadColumn(string Name, bool TemplatesReadIt, Func<DbDataReader, int, byte[]?> Read);
