using System.Net;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;

namespace Drivers.Gcp;

/// <summary>An object's name, generation and size as the JSON API lists them.</summary>
internal sealed record GcsObject(string Name, long Generation, long? Size);

/// <summary>
/// The Cloud Storage JSON API calls the drivers make: list, media download, media and resumable upload,
/// rewrite and delete. Generation preconditions make moves and deletes touch only the version that was read.
/// </summary>
internal sealed class GcsClient(GcpApi api)
{
    /// <summary>Resumable upload chunk: a multiple of 256 KiB, as the API requires.</summary>
    public const int ChunkSize = 8 * 1024 * 1024;

    private string ObjectUrl(string bucket, string name) => $"{api.BaseUrl}/storage/v1/b/{GcpApi.Segment(bucket)}/o/{GcpApi.Segment(name)}";

    /// <summary>Lists objects under <paramref name="prefix"/>, every page, in name order.</summary>
    public async IAsyncEnumerable<GcsObject> ListAsync(string bucket, string? prefix, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pageToken = null;
        do
        {
            var query = "?fields=" + Uri.EscapeDataString("items(name,generation,size),nextPageToken");
            if (!string.IsNullOrEmpty(prefix))
            {
                query += "&prefix=" + Uri.EscapeDataString(prefix);
            }
            if (pageToken is not null)
            {
                query += "&pageToken=" + Uri.EscapeDataString(pageToken);
            }
            var (_, body) = await api.SendJsonAsync(HttpMethod.Get, $"/storage/v1/b/{GcpApi.Segment(bucket)}/o{query}", null, $"list gs://{bucket}", cancellationToken).ConfigureAwait(false);
            if (body?["items"] is JsonArray items)
            {
                foreach (var item in items.OfType<JsonObject>())
                {
                    if (Parse(item) is { } obj)
                    {
                        yield return obj;
                    }
                }
            }
            pageToken = body?["nextPageToken"]?.GetValue<string>();
        }
        while (!string.IsNullOrEmpty(pageToken));
    }

    /// <summary>The object's metadata, or null when it does not exist.</summary>
    public async Task<GcsObject?> GetAsync(string bucket, string name, CancellationToken cancellationToken)
    {
        var (status, body) = await api.SendJsonAsync(HttpMethod.Get, $"/storage/v1/b/{GcpApi.Segment(bucket)}/o/{GcpApi.Segment(name)}?fields=name,generation,size", null,
            $"get gs://{bucket}/{name}", cancellationToken, accept: HttpStatusCode.NotFound).ConfigureAwait(false);
        return status == HttpStatusCode.NotFound || body is not JsonObject o ? null : Parse(o);
    }

    /// <summary>Opens the object's bytes as a stream (that generation only); null when it is gone.</summary>
    public async Task<(Stream Stream, long? Length)?> OpenReadAsync(string bucket, GcsObject obj, CancellationToken cancellationToken)
    {
        var response = await api.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, $"{ObjectUrl(bucket, obj.Name)}?alt=media&ifGenerationMatch={obj.Generation}"),
            $"download gs://{bucket}/{obj.Name}", cancellationToken, retry: true, HttpCompletionOption.ResponseHeadersRead, null,
            HttpStatusCode.NotFound, HttpStatusCode.PreconditionFailed).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            return null;
        }
        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        return (new OwningReadStream(stream, response), response.Content.Headers.ContentLength ?? obj.Size);
    }

    /// <summary>Uploads in one request; the content must be replayable (it is retried).</summary>
    public async Task UploadMediaAsync(string bucket, string name, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        using var response = await api.SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
                $"{api.BaseUrl}/upload/storage/v1/b/{GcpApi.Segment(bucket)}/o?uploadType=media&name={Uri.EscapeDataString(name)}") { Content = content() },
            $"upload gs://{bucket}/{name}", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A resumable upload from a stream read once: the stream is sent in <see cref="ChunkSize"/> chunks,
    /// each buffered, so a failed chunk is retried without reading the input twice. Memory stays at one chunk.
    /// </summary>
    public async Task UploadResumableAsync(string bucket, string name, Stream input, CancellationToken cancellationToken)
    {
        string session;
        using (var start = await api.SendAsync(() => new HttpRequestMessage(HttpMethod.Post,
                   $"{api.BaseUrl}/upload/storage/v1/b/{GcpApi.Segment(bucket)}/o?uploadType=resumable&name={Uri.EscapeDataString(name)}")
               {
                   Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
               }, $"start upload of gs://{bucket}/{name}", cancellationToken).ConfigureAwait(false))
        {
            session = start.Headers.Location?.ToString()
                ?? throw DriverException.Transient($"Cloud Storage gave no upload session for gs://{bucket}/{name}");
        }
        if (!session.Contains("://", StringComparison.Ordinal))
        {
            session = api.BaseUrl + session;
        }
        var buffer = new byte[ChunkSize];
        var next = new byte[1];
        long offset = 0;
        var filled = await FillAsync(input, buffer, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            // Peek one byte to know whether this chunk is the last (the total size is then known).
            var more = filled == buffer.Length && await FillAsync(input, next, cancellationToken).ConfigureAwait(false) == 1;
            var total = more ? "*" : (offset + filled).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var range = filled == 0 ? $"bytes */{total}" : $"bytes {offset}-{offset + filled - 1}/{total}";
            var chunkLength = filled;
            using (var response = await api.SendAsync(() =>
                   {
                       var content = new ByteArrayContent(buffer, 0, chunkLength);
                       content.Headers.Add("Content-Range", range);
                       return new HttpRequestMessage(HttpMethod.Put, session) { Content = content };
                   }, $"upload gs://{bucket}/{name}", cancellationToken, accept: (HttpStatusCode)308).ConfigureAwait(false))
            {
                if (!more)
                {
                    if ((int)response.StatusCode == 308)
                    {
                        throw DriverException.Transient($"Cloud Storage did not finish the upload of gs://{bucket}/{name}");
                    }
                    return;
                }
                if ((int)response.StatusCode != 308 || !ConfirmedAll(response, offset + filled))
                {
                    throw DriverException.Transient($"Cloud Storage did not confirm the chunk at {offset} of gs://{bucket}/{name}");
                }
            }
            offset += filled;
            buffer[0] = next[0];
            filled = 1 + await FillAsync(input, buffer.AsMemory(1), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Copies an object (server side, any size, following rewrite tokens).</summary>
    public async Task RewriteAsync(string bucket, GcsObject obj, string targetBucket, string targetName, CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var url = $"/storage/v1/b/{GcpApi.Segment(bucket)}/o/{GcpApi.Segment(obj.Name)}/rewriteTo/b/{GcpApi.Segment(targetBucket)}/o/{GcpApi.Segment(targetName)}?ifSourceGenerationMatch={obj.Generation}";
            if (token is not null)
            {
                url += "&rewriteToken=" + Uri.EscapeDataString(token);
            }
            var (_, body) = await api.SendJsonAsync(HttpMethod.Post, url, new JsonObject(), $"move gs://{bucket}/{obj.Name} to gs://{targetBucket}/{targetName}", cancellationToken).ConfigureAwait(false);
            token = body?["done"]?.GetValue<bool>() == true ? null : body?["rewriteToken"]?.GetValue<string>();
        }
        while (token is not null);
    }

    /// <summary>Deletes that generation; false when it was already gone or replaced.</summary>
    public async Task<bool> DeleteAsync(string bucket, GcsObject obj, CancellationToken cancellationToken)
    {
        using var response = await api.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Delete, $"{ObjectUrl(bucket, obj.Name)}?ifGenerationMatch={obj.Generation}"),
            $"delete gs://{bucket}/{obj.Name}", cancellationToken, retry: true, HttpCompletionOption.ResponseContentRead, null,
            HttpStatusCode.NotFound, HttpStatusCode.PreconditionFailed).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    private static GcsObject? Parse(JsonObject item)
    {
        var name = item["name"]?.GetValue<string>();
        if (name is null)
        {
            return null;
        }
        return new GcsObject(name, ParseLong(item["generation"]) ?? 0, ParseLong(item["size"]));
    }

    // The JSON API sends int64 values as strings.
    private static long? ParseLong(JsonNode? node) => node?.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.String => long.TryParse(node.GetValue<string>(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : null,
        System.Text.Json.JsonValueKind.Number => node.GetValue<long>(),
        _ => null,
    };

    private static bool ConfirmedAll(HttpResponseMessage response, long end)
    {
        // "Range: bytes=0-N" says what the server holds; it must hold everything sent so far.
        if (!response.Headers.TryGetValues("Range", out var values))
        {
            return end == 0;
        }
        var range = values.First();
        var dash = range.LastIndexOf('-');
        return dash > 0 && long.TryParse(range[(dash + 1)..], System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var last) && last + 1 == end;
    }

    private static async Task<int> FillAsync(Stream input, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await input.ReadAsync(buffer[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }
}
