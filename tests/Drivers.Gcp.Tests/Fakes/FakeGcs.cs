using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>
/// The Cloud Storage JSON API calls the drivers make, with real semantics: buckets must exist, every write
/// makes a new generation, ifGenerationMatch / ifSourceGenerationMatch preconditions answer 412, resumable
/// uploads take chunks that are multiples of 256 KiB and answer 308 with the Range held, rewrites of large
/// objects take more than one call (rewriteToken), listing pages by name.
/// </summary>
public sealed partial class FakeGcs : FakeServer
{
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _buckets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Upload> _uploads = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _generation = 1_700_000_000_000_000;

    public sealed record StoredObject(string Name, long Generation, byte[] Data, string ContentType);

    private sealed class Upload(string bucket, string name)
    {
        public string Bucket { get; } = bucket;
        public string Name { get; } = name;
        public MemoryStream Data { get; } = new();
    }

    /// <summary>Page size of object listings (small, so paging is exercised).</summary>
    public int PageSize { get; set; } = 1000;

    public static async Task<FakeGcs> StartNewAsync()
    {
        var fake = new FakeGcs();
        await fake.StartAsync();
        return fake;
    }

    public void CreateBucket(string bucket)
    {
        lock (_gate)
        {
            _buckets.TryAdd(bucket, new SortedDictionary<string, StoredObject>(StringComparer.Ordinal));
        }
    }

    public StoredObject Put(string bucket, string name, byte[] data)
    {
        lock (_gate)
        {
            var obj = new StoredObject(name, ++_generation, data, "application/octet-stream");
            _buckets[bucket][name] = obj;
            return obj;
        }
    }

    public IReadOnlyList<StoredObject> Objects(string bucket)
    {
        lock (_gate)
        {
            return _buckets.TryGetValue(bucket, out var objects) ? objects.Values.ToList() : [];
        }
    }

    protected override async Task HandleAsync(HttpContext context, string path)
    {
        var method = context.Request.Method;
        Match m;
        if (method == "POST" && path == "/storage/v1/b")
        {
            var name = (await ReadJsonAsync(context))?["name"]?.GetValue<string>() ?? "";
            lock (_gate)
            {
                if (!_buckets.TryAdd(name, new(StringComparer.Ordinal)))
                {
                    _ = ErrorAsync(context, 409, "ALREADY_EXISTS", "Your previous request to create the named bucket succeeded and you already own it.");
                    return;
                }
            }
            await JsonAsync(context, new JsonObject { ["kind"] = "storage#bucket", ["name"] = name });
        }
        else if ((m = RewritePath().Match(path)).Success && method == "POST")
        {
            await RewriteAsync(context, D(m, 1), D(m, 2), D(m, 3), D(m, 4), m.Groups[5].Value == "rewriteTo");
        }
        else if ((m = ObjectPath().Match(path)).Success)
        {
            await ObjectAsync(context, D(m, 1), D(m, 2));
        }
        else if ((m = ListPath().Match(path)).Success && method == "GET")
        {
            List(context, D(m, 1), out var body, out var error);
            await (error ?? JsonAsync(context, body!));
        }
        else if ((m = UploadPath().Match(path)).Success)
        {
            await UploadAsync(context, D(m, 1));
        }
        else
        {
            await ErrorAsync(context, 404, "NOT_FOUND", $"fake GCS has no route {method} {path}");
        }
    }

    private static string D(Match m, int group) => Uri.UnescapeDataString(m.Groups[group].Value);

    private void List(HttpContext context, string bucket, out JsonObject? body, out Task? error)
    {
        body = null;
        error = null;
        var prefix = Query(context, "prefix") ?? "";
        var after = Query(context, "pageToken");
        var max = int.TryParse(Query(context, "maxResults"), CultureInfo.InvariantCulture, out var n) ? Math.Min(n, PageSize) : PageSize;
        lock (_gate)
        {
            if (!_buckets.TryGetValue(bucket, out var objects))
            {
                error = ErrorAsync(context, 404, "NOT_FOUND", "The specified bucket does not exist.");
                return;
            }
            var page = objects.Values
                .Where(o => o.Name.StartsWith(prefix, StringComparison.Ordinal) && (after is null || string.CompareOrdinal(o.Name, after) > 0))
                .Take(max + 1).ToList();
            body = new JsonObject { ["kind"] = "storage#objects" };
            if (page.Count > 0)
            {
                body["items"] = new JsonArray(page.Take(max).Select(o => (JsonNode)Resource(bucket, o)).ToArray());
            }
            if (page.Count > max)
            {
                body["nextPageToken"] = page[max - 1].Name;
            }
        }
    }

    private async Task ObjectAsync(HttpContext context, string bucket, string name)
    {
        var method = context.Request.Method;
        StoredObject? obj;
        lock (_gate)
        {
            if (!_buckets.TryGetValue(bucket, out var objects))
            {
                obj = null;
                _ = ErrorAsync(context, 404, "NOT_FOUND", "The specified bucket does not exist.");
                return;
            }
            objects.TryGetValue(name, out obj);
            if (obj is null)
            {
                _ = ErrorAsync(context, 404, "NOT_FOUND", $"No such object: {bucket}/{name}");
                return;
            }
            if (Query(context, "ifGenerationMatch") is { } want && want != obj.Generation.ToString(CultureInfo.InvariantCulture))
            {
                _ = ErrorAsync(context, 412, "FAILED_PRECONDITION", "At least one of the pre-conditions you specified did not hold.");
                return;
            }
            if (method == "DELETE")
            {
                objects.Remove(name);
                context.Response.StatusCode = 204;
                return;
            }
        }
        if (method != "GET")
        {
            await ErrorAsync(context, 405, "INVALID_ARGUMENT", "method not allowed");
            return;
        }
        if (Query(context, "alt") == "media")
        {
            context.Response.ContentType = obj.ContentType;
            context.Response.ContentLength = obj.Data.Length;
            context.Response.Headers["x-goog-generation"] = obj.Generation.ToString(CultureInfo.InvariantCulture);
            await context.Response.Body.WriteAsync(obj.Data);
            return;
        }
        await JsonAsync(context, Resource(bucket, obj));
    }

    private async Task RewriteAsync(HttpContext context, string bucket, string name, string targetBucket, string targetName, bool rewrite)
    {
        JsonObject? body = null;
        lock (_gate)
        {
            if (!_buckets.TryGetValue(bucket, out var objects) || !objects.TryGetValue(name, out var obj))
            {
                _ = ErrorAsync(context, 404, "NOT_FOUND", $"No such object: {bucket}/{name}");
                return;
            }
            if (!_buckets.TryGetValue(targetBucket, out var targets))
            {
                _ = ErrorAsync(context, 404, "NOT_FOUND", "The destination bucket does not exist.");
                return;
            }
            if (Query(context, "ifSourceGenerationMatch") is { } want && want != obj.Generation.ToString(CultureInfo.InvariantCulture))
            {
                _ = ErrorAsync(context, 412, "FAILED_PRECONDITION", "At least one of the pre-conditions you specified did not hold.");
                return;
            }
            // Like the real service, a large rewrite answers in more than one call.
            if (rewrite && obj.Data.Length > 1024 * 1024 && Query(context, "rewriteToken") is null)
            {
                body = new JsonObject
                {
                    ["kind"] = "storage#rewriteResponse",
                    ["totalBytesRewritten"] = "1048576",
                    ["objectSize"] = obj.Data.Length.ToString(CultureInfo.InvariantCulture),
                    ["done"] = false,
                    ["rewriteToken"] = "tok-" + obj.Generation.ToString(CultureInfo.InvariantCulture),
                };
            }
            else
            {
                var copy = new StoredObject(targetName, ++_generation, obj.Data, obj.ContentType);
                targets[targetName] = copy;
                body = rewrite
                    ? new JsonObject
                    {
                        ["kind"] = "storage#rewriteResponse",
                        ["totalBytesRewritten"] = obj.Data.Length.ToString(CultureInfo.InvariantCulture),
                        ["objectSize"] = obj.Data.Length.ToString(CultureInfo.InvariantCulture),
                        ["done"] = true,
                        ["resource"] = Resource(targetBucket, copy),
                    }
                    : Resource(targetBucket, copy);
            }
        }
        await JsonAsync(context, body);
    }

    private async Task UploadAsync(HttpContext context, string bucket)
    {
        var type = Query(context, "uploadType");
        var name = Query(context, "name") ?? "";
        lock (_gate)
        {
            if (!_buckets.ContainsKey(bucket))
            {
                _ = ErrorAsync(context, 404, "NOT_FOUND", "The specified bucket does not exist.");
                return;
            }
        }
        if (type == "media" && context.Request.Method == "POST")
        {
            var data = await ReadBytesAsync(context);
            await CommitAsync(context, bucket, name, data);
        }
        else if (type == "resumable" && context.Request.Method == "POST" && Query(context, "upload_id") is null)
        {
            await ReadBytesAsync(context);
            var id = Guid.NewGuid().ToString("N");
            lock (_gate)
            {
                _uploads[id] = new Upload(bucket, name);
            }
            context.Response.Headers.Location = $"{Url}/upload/storage/v1/b/{Uri.EscapeDataString(bucket)}/o?uploadType=resumable&name={Uri.EscapeDataString(name)}&upload_id={id}";
            context.Response.StatusCode = 200;
        }
        else if (type == "resumable" && context.Request.Method == "PUT" && Query(context, "upload_id") is { } id)
        {
            await ChunkAsync(context, id);
        }
        else
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", $"fake GCS does not support uploadType={type} with {context.Request.Method}");
        }
    }

    private async Task ChunkAsync(HttpContext context, string id)
    {
        Upload? upload;
        lock (_gate)
        {
            _uploads.TryGetValue(id, out upload);
        }
        if (upload is null)
        {
            await ErrorAsync(context, 404, "NOT_FOUND", "No such upload session.");
            return;
        }
        var data = await ReadBytesAsync(context);
        var range = context.Request.Headers["Content-Range"].FirstOrDefault() ?? "";
        var m = ContentRange().Match(range);
        if (!m.Success)
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", $"bad Content-Range '{range}'");
            return;
        }
        long? total = m.Groups[3].Value == "*" ? null : long.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (m.Groups[1].Success)
            {
                var first = long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                var last = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                if (last - first + 1 != data.Length)
                {
                    _ = ErrorAsync(context, 400, "INVALID_ARGUMENT", "Content-Range does not match the body length");
                    return;
                }
                if (total is null && data.Length % (256 * 1024) != 0)
                {
                    _ = ErrorAsync(context, 400, "INVALID_ARGUMENT", "Invalid request. A non-final chunk must be a multiple of 256 KiB.");
                    return;
                }
                if (first == upload.Data.Length)
                {
                    upload.Data.Write(data);
                }
                else if (first > upload.Data.Length)
                {
                    _ = ErrorAsync(context, 400, "INVALID_ARGUMENT", "chunk starts past the bytes received");
                    return;
                }
                // first < received: a retried chunk the server already holds; keep what is there.
            }
            if (total is null || upload.Data.Length < total)
            {
                context.Response.StatusCode = 308;
                if (upload.Data.Length > 0)
                {
                    context.Response.Headers["Range"] = $"bytes=0-{upload.Data.Length - 1}";
                }
                return;
            }
            _uploads.Remove(id);
        }
        await CommitAsync(context, upload.Bucket, upload.Name, upload.Data.ToArray());
    }

    private async Task CommitAsync(HttpContext context, string bucket, string name, byte[] data)
    {
        StoredObject obj;
        lock (_gate)
        {
            var objects = _buckets[bucket];
            if (Query(context, "ifGenerationMatch") is { } want)
            {
                var current = objects.TryGetValue(name, out var existing) ? existing.Generation : 0;
                if (want != current.ToString(CultureInfo.InvariantCulture))
                {
                    _ = ErrorAsync(context, 412, "FAILED_PRECONDITION", "At least one of the pre-conditions you specified did not hold.");
                    return;
                }
            }
            obj = new StoredObject(name, ++_generation, data, context.Request.ContentType ?? "application/octet-stream");
            objects[name] = obj;
        }
        await JsonAsync(context, Resource(bucket, obj));
    }

    private static JsonObject Resource(string bucket, StoredObject obj) => new()
    {
        ["kind"] = "storage#object",
        ["bucket"] = bucket,
        ["name"] = obj.Name,
        ["generation"] = obj.Generation.ToString(CultureInfo.InvariantCulture),
        ["metageneration"] = "1",
        ["size"] = obj.Data.Length.ToString(CultureInfo.InvariantCulture),
        ["contentType"] = obj.ContentType,
        ["md5Hash"] = Convert.ToBase64String(MD5.HashData(obj.Data)),
    };

    // Named groups number after the unnamed ones: 1-4 are bucket, name, target bucket, target name; 5 the verb.
    [GeneratedRegex("^/storage/v1/b/([^/]+)/o/([^/]+)/(?<verb>rewriteTo|copyTo)/b/([^/]+)/o/([^/]+)$")]
    private static partial Regex RewritePath();

    [GeneratedRegex("^/storage/v1/b/([^/]+)/o/([^/]+)$")]
    private static partial Regex ObjectPath();

    [GeneratedRegex("^/storage/v1/b/([^/]+)/o$")]
    private static partial Regex ListPath();

    [GeneratedRegex("^/upload/storage/v1/b/([^/]+)/o$")]
    private static partial Regex UploadPath();

    [GeneratedRegex(@"^bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)$")]
    private static partial Regex ContentRange();
}
