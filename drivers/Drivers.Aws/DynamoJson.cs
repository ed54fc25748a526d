using System.Text.Json.Nodes;
using Amazon.DynamoDBv2.Model;

namespace Drivers.Aws;

/// <summary>Converts between DynamoDB attribute values and JSON, without reflection (AOT).</summary>
internal static class DynamoJson
{
    /// <summary>Plain JSON, as the original's UnmarshalMap + json.Marshal gave: numbers as numbers, binary as base64.</summary>
    public static JsonObject ToPlainJson(Dictionary<string, AttributeValue> item)
    {
        var result = new JsonObject();
        foreach (var (name, value) in item)
        {
            result[name] = ToPlain(value);
        }
        return result;
    }

    /// <summary>DynamoDB JSON: every value tagged with its type, {"id": {"S": "1"}}.</summary>
    public static JsonObject ToTypedJson(Dictionary<string, AttributeValue> item)
    {
        var result = new JsonObject();
        foreach (var (name, value) in item)
        {
            result[name] = ToTyped(value);
        }
        return result;
    }

    /// <summary>A JSON object as an item: strings S, numbers N, booleans BOOL, null NULL, arrays L, objects M.</summary>
    public static Dictionary<string, AttributeValue> FromJson(JsonObject json)
    {
        var item = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        foreach (var (name, value) in json)
        {
            item[name] = FromNode(value);
        }
        return item;
    }

    private static JsonNode? ToPlain(AttributeValue v)
    {
        if (v.S is not null) return JsonValue.Create(v.S);
        if (v.N is not null) return JsonNode.Parse(v.N);
        if (v.B is not null) return JsonValue.Create(Convert.ToBase64String(v.B.ToArray()));
        if (v.BOOL is { } b) return JsonValue.Create(b);
        if (v.NULL == true) return null;
        if (v.M is not null) return ToPlainJson(v.M);
        if (v.L is not null) return new JsonArray([.. v.L.Select(ToPlain)]);
        if (v.SS is not null) return new JsonArray([.. v.SS.Select(s => (JsonNode?)JsonValue.Create(s))]);
        if (v.NS is not null) return new JsonArray([.. v.NS.Select(n => JsonNode.Parse(n))]);
        if (v.BS is not null) return new JsonArray([.. v.BS.Select(s => (JsonNode?)JsonValue.Create(Convert.ToBase64String(s.ToArray())))]);
        return null;
    }

    private static JsonObject ToTyped(AttributeValue v)
    {
        if (v.S is not null) return new JsonObject { ["S"] = v.S };
        if (v.N is not null) return new JsonObject { ["N"] = v.N };
        if (v.B is not null) return new JsonObject { ["B"] = Convert.ToBase64String(v.B.ToArray()) };
        if (v.BOOL is { } b) return new JsonObject { ["BOOL"] = b };
        if (v.NULL == true) return new JsonObject { ["NULL"] = true };
        if (v.M is not null) return new JsonObject { ["M"] = ToTypedJson(v.M) };
        if (v.L is not null) return new JsonObject { ["L"] = new JsonArray([.. v.L.Select(x => (JsonNode?)ToTyped(x))]) };
        if (v.SS is not null) return new JsonObject { ["SS"] = new JsonArray([.. v.SS.Select(s => (JsonNode?)JsonValue.Create(s))]) };
        if (v.NS is not null) return new JsonObject { ["NS"] = new JsonArray([.. v.NS.Select(s => (JsonNode?)JsonValue.Create(s))]) };
        if (v.BS is not null) return new JsonObject { ["BS"] = new JsonArray([.. v.BS.Select(s => (JsonNode?)JsonValue.Create(Convert.ToBase64String(s.ToArray())))]) };
        return new JsonObject { ["NULL"] = true };
    }

    private static AttributeValue FromNode(JsonNode? node) => node switch
    {
        null => new AttributeValue { NULL = true },
        JsonObject o => new AttributeValue { M = FromJson(o) },
        JsonArray a => new AttributeValue { L = [.. a.Select(FromNode)] },
        JsonValue v when v.TryGetValue<string>(out var s) => new AttributeValue { S = s },
        JsonValue v when v.TryGetValue<bool>(out var b) => new AttributeValue { BOOL = b },
        _ => new AttributeValue { N = node.ToJsonString() },
    };

}
