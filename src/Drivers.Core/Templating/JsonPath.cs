using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Drivers.Core.Templating;

/// <summary>
/// The subset of gjson paths the originals' templates use: dot-separated names, numeric segments index
/// arrays (<c>0.id</c>), <c>\.</c> escapes a dot inside a name, <c>#</c> is an array's length.
/// </summary>
public static class JsonPath
{
    public static JsonNode? Resolve(JsonNode? node, string path, out bool found)
    {
        found = true;
        var current = node;
        foreach (var segment in Split(path))
        {
            switch (current)
            {
                case JsonObject obj when obj.TryGetPropertyValue(segment, out var child):
                    current = child;
                    break;
                case JsonArray arr when segment == "#":
                    current = JsonValue.Create(arr.Count);
                    break;
                case JsonArray arr when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < arr.Count:
                    current = arr[index];
                    break;
                default:
                    found = false;
                    return null;
            }
        }
        return current;
    }

    /// <summary>The first segment of a path (the part before the first unescaped dot).</summary>
    public static string Head(string path)
    {
        foreach (var segment in Split(path))
        {
            return segment;
        }
        return path;
    }

    public static IEnumerable<string> Split(string path)
    {
        var current = new StringBuilder();
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '\\' && i + 1 < path.Length)
            {
                current.Append(path[++i]);
            }
            else if (c == '.')
            {
                yield return current.ToString();
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        yield return current.ToString();
    }
}
