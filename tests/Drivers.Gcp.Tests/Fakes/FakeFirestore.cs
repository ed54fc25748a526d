using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>
/// Firestore REST v1 as the drivers use it, with real semantics: documents get, create (409 when it
/// exists; a generated 20-character ID without documentId), patch (upsert), delete; runQuery with a field
/// or AND-composite filter, orderBy (documents lacking the field are left out; ties by name) and limit;
/// commit applies all writes or none, checking currentDocument preconditions (exists / updateTime).
/// </summary>
public sealed partial class FakeFirestore : FakeServer
{
    private readonly SortedDictionary<string, (JsonObject Fields, string CreateTime, string UpdateTime)> _docs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _clock = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    public static async Task<FakeFirestore> StartNewAsync()
    {
        var fake = new FakeFirestore();
        await fake.StartAsync();
        return fake;
    }

    /// <summary>Documents under a collection path (relative, e.g. "jobs"), as plain JSON keyed by ID.</summary>
    public Dictionary<string, JsonObject> Collection(string collection)
    {
        lock (_gate)
        {
            return _docs.Where(d => Parent(d.Key) == collection)
                .ToDictionary(d => d.Key[(d.Key.LastIndexOf('/') + 1)..], d => FirestoreBackend.Plain(d.Value.Fields));
        }
    }

    private static string Parent(string path) => path[..Math.Max(0, path.LastIndexOf('/'))];

    private string Tick() => DateTimeOffset.FromUnixTimeMilliseconds(++_clock / 1000).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture)
        + (_clock % 1000).ToString("000", CultureInfo.InvariantCulture) + "Z";

    protected override async Task HandleAsync(HttpContext context, string path)
    {
        var m = DocPath().Match(path);
        if (!m.Success)
        {
            await ErrorAsync(context, 404, "NOT_FOUND", $"fake Firestore has no route {path}");
            return;
        }
        var project = m.Groups[1].Value;
        var rest = string.Join('/', m.Groups[2].Value.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString));
        var action = m.Groups[3].Success ? m.Groups[3].Value : null;
        var prefix = $"projects/{project}/databases/(default)/documents";
        var method = context.Request.Method;
        var body = method is "POST" or "PATCH" ? await ReadJsonAsync(context) as JsonObject ?? [] : [];
        Task task;
        lock (_gate)
        {
            task = (method, action) switch
            {
                ("POST", "runQuery") => JsonAsync(context, RunQuery(prefix, rest, body)),
                ("POST", "commit") => Commit(context, prefix, body),
                ("GET", null) when rest.Split('/').Length % 2 == 1 => JsonAsync(context, List(prefix, rest)),
                ("GET", null) => Get(context, prefix, rest),
                ("POST", null) => Create(context, prefix, rest, Query(context, "documentId"), body),
                ("PATCH", null) => Upsert(context, prefix, rest, body),
                ("DELETE", null) => Delete(context, rest),
                _ => ErrorAsync(context, 400, "INVALID_ARGUMENT", $"unsupported {method} {action}"),
            };
        }
        await task;
    }

    private JsonObject Wire(string prefix, string path)
    {
        var (fields, created, updated) = _docs[path];
        return new JsonObject { ["name"] = $"{prefix}/{path}", ["fields"] = fields.DeepClone(), ["createTime"] = created, ["updateTime"] = updated };
    }

    private JsonObject List(string prefix, string collection) => new()
    {
        ["documents"] = new JsonArray(_docs.Keys.Where(k => Parent(k) == collection).Select(k => (JsonNode)Wire(prefix, k)).ToArray()),
    };

    private Task Get(HttpContext context, string prefix, string path) =>
        _docs.ContainsKey(path) ? JsonAsync(context, Wire(prefix, path)) : ErrorAsync(context, 404, "NOT_FOUND", $"Document \"{prefix}/{path}\" not found.");

    private Task Create(HttpContext context, string prefix, string collection, string? id, JsonObject body)
    {
        id ??= string.Concat(Enumerable.Range(0, 20).Select(_ => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[Random.Shared.Next(62)]));
        var path = $"{collection}/{id}";
        if (_docs.ContainsKey(path))
        {
            return ErrorAsync(context, 409, "ALREADY_EXISTS", $"Document already exists: {prefix}/{path}");
        }
        var now = Tick();
        _docs[path] = ((JsonObject)(body["fields"] ?? new JsonObject()).DeepClone(), now, now);
        return JsonAsync(context, Wire(prefix, path));
    }

    private Task Upsert(HttpContext context, string prefix, string path, JsonObject body)
    {
        var now = Tick();
        var created = _docs.TryGetValue(path, out var existing) ? existing.CreateTime : now;
        _docs[path] = ((JsonObject)(body["fields"] ?? new JsonObject()).DeepClone(), created, now);
        return JsonAsync(context, Wire(prefix, path));
    }

    private Task Delete(HttpContext context, string path)
    {
        _docs.Remove(path);
        return JsonAsync(context, new JsonObject());
    }

    private Task Commit(HttpContext context, string prefix, JsonObject body)
    {
        var writes = (body["writes"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var write in writes)
        {
            var name = write["update"]?["name"]?.GetValue<string>() ?? write["delete"]?.GetValue<string>() ?? "";
            var path = name.StartsWith(prefix + "/", StringComparison.Ordinal) ? name[(prefix.Length + 1)..] : null;
            if (path is null)
            {
                return ErrorAsync(context, 400, "INVALID_ARGUMENT", $"bad document name {name}");
            }
            if (write["currentDocument"] is JsonObject pre)
            {
                var exists = _docs.TryGetValue(path, out var doc);
                if (pre["exists"] is { } e && e.GetValue<bool>() != exists)
                {
                    return ErrorAsync(context, exists ? 409 : 404, exists ? "ALREADY_EXISTS" : "NOT_FOUND", $"precondition exists={e} failed for {name}");
                }
                if (pre["updateTime"]?.GetValue<string>() is { } t && (!exists || doc.UpdateTime != t))
                {
                    return ErrorAsync(context, 400, "FAILED_PRECONDITION", $"the stored version of {name} does not match the required base version");
                }
            }
        }
        var now = Tick();
        var results = new JsonArray();
        foreach (var write in writes)
        {
            if (write["update"] is JsonObject update)
            {
                var path = update["name"]!.GetValue<string>()[(prefix.Length + 1)..];
                var created = _docs.TryGetValue(path, out var existing) ? existing.CreateTime : now;
                _docs[path] = ((JsonObject)(update["fields"] ?? new JsonObject()).DeepClone(), created, now);
            }
            else
            {
                _docs.Remove(write["delete"]!.GetValue<string>()[(prefix.Length + 1)..]);
            }
            results.Add(new JsonObject { ["updateTime"] = now });
        }
        return JsonAsync(context, new JsonObject { ["writeResults"] = results, ["commitTime"] = now });
    }

    private JsonArray RunQuery(string prefix, string parent, JsonObject body)
    {
        var q = body["structuredQuery"] as JsonObject ?? [];
        var collection = q["from"]?[0]?["collectionId"]?.GetValue<string>() ?? "";
        var full = parent.Length == 0 ? collection : $"{parent}/{collection}";
        IEnumerable<string> paths = _docs.Keys.Where(k => Parent(k) == full);
        if (q["where"] is JsonObject where)
        {
            paths = paths.Where(p => Matches(where, _docs[p].Fields));
        }
        var orders = (q["orderBy"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        IOrderedEnumerable<string>? ordered = null;
        foreach (var order in orders)
        {
            var field = order["field"]!["fieldPath"]!.GetValue<string>();
            var desc = order["direction"]?.GetValue<string>() == "DESCENDING";
            paths = paths.Where(p => Field(_docs[p].Fields, field) is not null).ToList();
            Func<string, JsonNode?> key = p => Field(_docs[p].Fields, field);
            var comparer = Comparer<JsonNode?>.Create(Compare);
            ordered = ordered is null
                ? (desc ? paths.OrderByDescending(key, comparer) : paths.OrderBy(key, comparer))
                : (desc ? ordered.ThenByDescending(key, comparer) : ordered.ThenBy(key, comparer));
        }
        var list = (ordered?.ThenBy(p => p, StringComparer.Ordinal) ?? paths.OrderBy(p => p, StringComparer.Ordinal)).ToList();
        if (q["limit"] is { } limit)
        {
            list = list.Take(limit.GetValue<int>()).ToList();
        }
        var now = Tick();
        return list.Count == 0
            ? new JsonArray(new JsonObject { ["readTime"] = now })
            : new JsonArray(list.Select(p => (JsonNode)new JsonObject { ["document"] = Wire(prefix, p), ["readTime"] = now }).ToArray());
    }

    private static bool Matches(JsonObject filter, JsonObject fields)
    {
        if (filter["compositeFilter"] is JsonObject composite)
        {
            return (composite["filters"] as JsonArray ?? []).OfType<JsonObject>().All(f => Matches(f, fields));
        }
        var f = (JsonObject)filter["fieldFilter"]!;
        var actual = Field(fields, f["field"]!["fieldPath"]!.GetValue<string>());
        var value = f["value"];
        var values = value?["arrayValue"]?["values"] as JsonArray ?? [];
        return f["op"]!.GetValue<string>() switch
        {
            "EQUAL" => actual is not null && Compare(actual, value) == 0,
            "NOT_EQUAL" => actual is not null && Compare(actual, value) != 0,
            "LESS_THAN" => actual is not null && SameKind(actual, value) && Compare(actual, value) < 0,
            "LESS_THAN_OR_EQUAL" => actual is not null && SameKind(actual, value) && Compare(actual, value) <= 0,
            "GREATER_THAN" => actual is not null && SameKind(actual, value) && Compare(actual, value) > 0,
            "GREATER_THAN_OR_EQUAL" => actual is not null && SameKind(actual, value) && Compare(actual, value) >= 0,
            "IN" => actual is not null && values.Any(v => Compare(actual, v) == 0),
            "NOT_IN" => actual is not null && values.All(v => Compare(actual, v) != 0),
            "ARRAY_CONTAINS" => (actual?["arrayValue"]?["values"] as JsonArray ?? []).Any(v => Compare(v, value) == 0),
            "ARRAY_CONTAINS_ANY" => (actual?["arrayValue"]?["values"] as JsonArray ?? []).Any(a => values.Any(v => Compare(a, v) == 0)),
            _ => false,
        };
    }

    private static JsonNode? Field(JsonObject fields, string path)
    {
        JsonNode? current = null;
        var scope = fields;
        foreach (var part in path.Split('.'))
        {
            current = scope?[part];
            scope = current?["mapValue"]?["fields"] as JsonObject;
        }
        return current;
    }

    private static bool SameKind(JsonNode? a, JsonNode? b) => Rank(a) == Rank(b);

    // Firestore's cross-type order: null < booleans < numbers < timestamps < strings < bytes < references < …
    private static int Rank(JsonNode? v) => (v as JsonObject)?.First().Key switch
    {
        "nullValue" => 0,
        "booleanValue" => 1,
        "integerValue" or "doubleValue" => 2,
        "timestampValue" => 3,
        "stringValue" => 4,
        "bytesValue" => 5,
        "referenceValue" => 6,
        _ => 7,
    };

    private static int Compare(JsonNode? a, JsonNode? b)
    {
        var (ra, rb) = (Rank(a), Rank(b));
        if (ra != rb)
        {
            return ra.CompareTo(rb);
        }
        var va = (a as JsonObject)!.First().Value;
        var vb = (b as JsonObject)!.First().Value;
        return ra switch
        {
            0 => 0,
            1 => va!.GetValue<bool>().CompareTo(vb!.GetValue<bool>()),
            2 => Number(va).CompareTo(Number(vb)),
            _ => JsonNode.DeepEquals(va, vb) ? 0 : string.CompareOrdinal(va?.ToJsonString(), vb?.ToJsonString()),
        };
    }

    private static double Number(JsonNode? v) => v!.GetValueKind() == JsonValueKind.String
        ? double.Parse(v.GetValue<string>(), CultureInfo.InvariantCulture)
        : v.GetValue<double>();

    [GeneratedRegex(@"^/v1/projects/([^/]+)/databases/\(default\)/documents((?:/[^/:]+)*)(?::(runQuery|commit))?$")]
    private static partial Regex DocPath();
}
