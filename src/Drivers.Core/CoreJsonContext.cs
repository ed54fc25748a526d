using System.Text.Json.Serialization;

namespace Drivers.Core;

/// <summary>Source-generated JSON metadata: no reflection at run time (Native AOT).</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class CoreJsonContext : JsonSerializerContext;
