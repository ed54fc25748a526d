using System.Text.Json;
using System.Text.Json.Nodes;
using Scriban.Runtime;

namespace Drivers.Core.Templating;

/// <summary>Converts JSON into Scriban's own objects, explicitly, so no reflection is needed (Native AOT).</summary>
internal static class ScribanValues
{
    public static ScriptObject Globals(TemplateData data)
    {
        var globals = new ScriptObject();
        if (data.Root is JsonObject root)
        {
            foreach (var (name, value) in root)
            {
                globals.SetValue(name, Convert(value), false);
            }
        }
        else if (data.Root is JsonArray array)
        {
            globals.SetValue("items", Convert(array), false);
        }
        foreach (var (name, value) in data.Variables)
        {
            globals.SetValue(name, Convert(value), false);
        }
        return globals;
    }

    private static object? Convert(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var so = new ScriptObject();
                foreach (var (name, value) in obj)
                {
                    so.SetValue(name, Convert(value), false);
                }
                return so;
            case JsonArray arr:
                var list = new ScriptArray();
                foreach (var item in arr)
                {
                    list.Add(Convert(item));
                }
                return list;
            case JsonValue value:
                return value.GetValueKind() switch
                {
                    JsonValueKind.String => value.GetValue<string>(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Number when value.TryGetValue<long>(out var l) => l,
                    JsonValueKind.Number when value.TryGetValue<decimal>(out var m) => m,
                    JsonValueKind.Number => value.GetValue<double>(),
                    _ => null,
                };
            default:
                return null;
        }
    }
}
