using Drivers.Core.Contracts;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;

namespace Drivers.Gcp;

/// <summary>A document as read: its full name, data as plain JSON, the raw Firestore fields and its update time.</summary>
internal sealed record FirestoreDocument(string Name, string Id, JsonObject Fields, string? UpdateTime);

/// <summary>
/// Firestore REST v1: get, runQuery, create/upsert, and commit (atomic writes with preconditions, so a
/// move is create + delete in one step, and nothing that changed since it was read is overwritten).
/// </summary>
internal sealed class FirestoreClient(GcpApi api)
{
    public async Task<string> DocumentsRootAsync(CancellationToken cancellationToken) =>
        $"projects/{await api.ProjectIdAsync(cancellationToken).ConfigureAwait(false)}/databases/(default)/documents";

    public async Task<FirestoreDocument?> GetAsync(string path, CancellationToken cancellationToken)
    {
        var root = await DocumentsRootAsync(cancellationToken).ConfigureAwait(false);
        var (status, body) = await api.SendJsonAsync(HttpMethod.Get, $"/v1/{root}/{EscapePath(path)}", null, $"get {path}", cancellationToken,
            accept: HttpStatusCode.NotFound).ConfigureAwait(false);
        return status == HttpStatusCode.NotFound || body is not JsonObject doc ? null : Parse(doc);
    }

    public async Task<List<FirestoreDocument>> RunQueryAsync(string collectionPath, JsonObject structuredQuery, CancellationToken cancellationToken)
    {
        var root = await DocumentsRootAsync(cancellationToken).ConfigureAwait(false);
        var slash = collectionPath.LastIndexOf('/');
        var parent = slash < 0 ? root : $"{root}/{EscapePath(collectionPath[..slash])}";
        structuredQuery["from"] = new JsonArray(new JsonObject { ["collectionId"] = collectionPath[(slash + 1)..] });
        var (_, body) = await api.SendJsonAsync(HttpMethod.Post, $"/v1/{parent}:runQuery", new JsonObject { ["structuredQuery"] = structuredQuery },
            $"query {collectionPath}", cancellationToken).ConfigureAwait(false);
        return (body as JsonArray ?? []).Select(x => x?["document"]).OfType<JsonObject>().Select(Parse).ToList();
    }

    /// <summary>Writes a document: with an id, create-or-replace; without, Firestore picks the id.</summary>
    public async Task<string> WriteAsync(string collectionPath, string? id, JsonObject fields, CancellationToken cancellationToken)
    {
        var root = await DocumentsRootAsync(cancellationToken).ConfigureAwait(false);
        var body = new JsonObject { ["fields"] = fields };
        JsonNode? answer;
        if (id is null)
        {
            (_, answer) = await api.SendJsonAsync(HttpMethod.Post, $"/v1/{root}/{EscapePath(collectionPath)}", body, $"add to {collectionPath}", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            (_, answer) = await api.SendJsonAsync(HttpMethod.Patch, $"/v1/{root}/{EscapePath(collectionPath)}/{Uri.EscapeDataString(id)}", body, $"write {collectionPath}/{id}", cancellationToken).ConfigureAwait(false);
        }
        return answer?["name"]?.GetValue<string>() ?? "";
    }

    /// <summary>Applies writes atomically; a failed precondition (the document changed) is a clear error.</summary>
    public async Task CommitAsync(JsonArray writes, string what, CancellationToken cancellationToken)
    {
        var root = await DocumentsRootAsync(cancellationToken).ConfigureAwait(false);
        await api.SendJsonAsync(HttpMethod.Post, $"/v1/{root[..root.LastIndexOf('/')]}/documents:commit", new JsonObject { ["writes"] = writes }, what, cancellationToken).ConfigureAwait(false);
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    private static FirestoreDocument Parse(JsonObject doc)
    {
        var name = doc["name"]?.GetValue<string>() ?? "";
        var fields = doc["fields"] as JsonObject ?? [];
        return new FirestoreDocument(name, name[(name.LastIndexOf('/') + 1)..], (JsonObject)fields.DeepClone(), doc["updateTime"]?.GetValue<string>());
    }

    /// <summary>Plain JSON to Firestore's typed Value.</summary>
    public static JsonObject ToValue(JsonNode? node) => node switch
    {
        null => new JsonObject { ["nullValue"] = null },
        JsonObject o => new JsonObject { ["mapValue"] = new JsonObject { ["fields"] = ToFields(o) } },
        JsonArray a => new JsonObject { ["arrayValue"] = new JsonObject { ["values"] = new JsonArray(a.Select(x => (JsonNode)ToValue(x)).ToArray()) } },
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => new JsonObject { ["stringValue"] = v.GetValue<string>() },
            JsonValueKind.True or JsonValueKind.False => new JsonObject { ["booleanValue"] = v.GetValue<bool>() },
            JsonValueKind.Number when long.TryParse(v.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) =>
                new JsonObject { ["integerValue"] = l.ToString(CultureInfo.InvariantCulture) },
            JsonValueKind.Number => new JsonObject { ["doubleValue"] = v.GetValue<double>() },
            _ => new JsonObject { ["nullValue"] = null },
        },
        _ => new JsonObject { ["nullValue"] = null },
    };

    public static JsonObject ToFields(JsonObject o)
    {
        var fields = new JsonObject();
        foreach (var (key, value) in o)
        {
            fields[key] = ToValue(value);
        }
        return fields;
    }

    /// <summary>Firestore's typed Value to plain JSON (timestamps, references and bytes as strings).</summary>
    public static JsonNode? FromValue(JsonNode? value)
    {
        if (value is not JsonObject v || v.Count == 0)
        {
            return null;
        }
        var (kind, inner) = v.First();
        return kind switch
        {
            "nullValue" => null,
            "booleanValue" => JsonValue.Create(inner!.GetValue<bool>()),
            "integerValue" => JsonValue.Create(long.Parse(inner!.GetValueKind() == JsonValueKind.String ? inner.GetValue<string>() : inner.ToJsonString(), CultureInfo.InvariantCulture)),
            "doubleValue" => inner!.GetValueKind() == JsonValueKind.Number ? JsonValue.Create(inner.GetValue<double>()) : JsonValue.Create(inner.GetValue<string>()),
            "mapValue" => FromFields(inner?["fields"] as JsonObject ?? []),
            "arrayValue" => new JsonArray((inner?["values"] as JsonArray ?? []).Select(FromValue).ToArray()),
            "geoPointValue" => inner?.DeepClone(),
            _ => inner?.DeepClone(), // stringValue, timestampValue, bytesValue (base64), referenceValue
        };
    }

    public static JsonObject FromFields(JsonObject fields)
    {
        var o = new JsonObject();
        foreach (var (key, value) in fields)
        {
            o[key] = FromValue(value);
        }
        return o;
    }

    public static string OperatorName(string op) => op switch
    {
        "==" => "EQUAL",
        "!=" => "NOT_EQUAL",
        "<" => "LESS_THAN",
        "<=" => "LESS_THAN_OR_EQUAL",
        ">" => "GREATER_THAN",
        ">=" => "GREATER_THAN_OR_EQUAL",
        "array-contains" => "ARRAY_CONTAINS",
        "array-contains-any" => "ARRAY_CONTAINS_ANY",
        "in" => "IN",
        "not-in" => "NOT_IN",
        _ => throw DriverException.Configuration($"unknown Firestore operator '{op}'"),
    };
}
