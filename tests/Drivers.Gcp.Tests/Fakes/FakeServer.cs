using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>One request as a fake saw it.</summary>
public sealed record SeenRequest(string Method, string Path, string? Authorization);

/// <summary>
/// A Kestrel server on 127.0.0.1 and an ephemeral port that speaks one Google REST API. Subclasses route on
/// the raw request target (object names carry encoded slashes that ASP.NET's Path would keep half-decoded).
/// </summary>
public abstract class FakeServer : IAsyncDisposable
{
    private WebApplication? _app;

    /// <summary>http://127.0.0.1:PORT</summary>
    public string Url { get; private set; } = "";

    /// <summary>127.0.0.1:PORT, the form the *_EMULATOR_HOST variables take.</summary>
    public string HostPort => Url["http://".Length..];

    /// <summary>When set, every API call must carry <c>Authorization: Bearer</c> this token (else 401).</summary>
    public string? RequiredBearer { get; set; }

    public ConcurrentQueue<SeenRequest> Requests { get; } = new();

    /// <summary>Answers the next N API calls with this status first (to exercise retries).</summary>
    public ConcurrentQueue<HttpStatusCode> InjectedFailures { get; } = new();

    protected async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Limits.MaxRequestBodySize = null;
        });
        _app = builder.Build();
        _app.Run(async context =>
        {
            var raw = context.Features.Get<IHttpRequestFeature>()!.RawTarget;
            var q = raw.IndexOf('?', StringComparison.Ordinal);
            var path = q < 0 ? raw : raw[..q];
            Requests.Enqueue(new SeenRequest(context.Request.Method, path, context.Request.Headers.Authorization.FirstOrDefault()));
            if (RequiredBearer is { } bearer && IsApiCall(path) && context.Request.Headers.Authorization.FirstOrDefault() != "Bearer " + bearer)
            {
                await ErrorAsync(context, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials.");
                return;
            }
            if (IsApiCall(path) && InjectedFailures.TryDequeue(out var injected))
            {
                await ErrorAsync(context, (int)injected, "UNAVAILABLE", "injected failure");
                return;
            }
            await HandleAsync(context, path);
        });
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/');
    }

    protected virtual bool IsApiCall(string path) => true;

    protected abstract Task HandleAsync(HttpContext context, string path);

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        GC.SuppressFinalize(this);
    }

    protected static async Task JsonAsync(HttpContext context, JsonNode body, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>Google's error shape: <c>{"error": {"code", "message", "status"}}</c>.</summary>
    protected static Task ErrorAsync(HttpContext context, int code, string status, string message) =>
        JsonAsync(context, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["status"] = status } }, code);

    protected static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync();
        return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
    }

    protected static async Task<byte[]> ReadBytesAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    protected static string? Query(HttpContext context, string name) =>
        context.Request.Query.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;
}
