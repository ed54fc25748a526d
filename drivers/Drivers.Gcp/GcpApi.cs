using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Settings;

namespace Drivers.Gcp;

/// <summary>The Google APIs the drivers call, with their production hosts.</summary>
internal enum GcpService { Storage, PubSub, BigQuery, Firestore }

/// <summary>An error answer from a Google API, parsed from its <c>{"error": {code, status, message}}</c> body.</summary>
internal sealed class GcpApiException(HttpStatusCode statusCode, string? status, string message) : Exception(message)
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The canonical status (NOT_FOUND, PERMISSION_DENIED, …) when the API gave one.</summary>
    public string? Status { get; } = status;
}

/// <summary>
/// One Google REST API: its base URL (production, -gcp-endpoint, or the emulator), credentials, and the
/// policy every call follows: retry 408/429/5xx and connection failures with exponential backoff
/// (idempotent or replayable requests only), then fail with <see cref="DriverException.Transient"/> naming
/// the service, the operation and Google's own error message.
/// </summary>
internal sealed class GcpApi
{
    private const int MaxAttempts = 5;

    // One pool for every driver in the process; DNS changes are picked up every few minutes.
    private static readonly HttpClient SharedHttp = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly GcpCredentials? _credentials;
    private readonly string? _emulatorToken;
    private readonly string? _projectSetting;

    /// <summary>The flag and env var that chose <see cref="BaseUrl"/> (emulator host, -gcp-endpoint), for "cannot reach" errors.</summary>
    private readonly string? _addressSettings;
    private string? _project;

    private GcpApi(GcpService service, string baseUrl, bool isEmulator, GcpCredentials? credentials, string? emulatorToken, string? project, string? addressSettings = null)
    {
        _addressSettings = addressSettings;
        Service = service;
        BaseUrl = baseUrl.TrimEnd('/');
        IsEmulator = isEmulator;
        _credentials = credentials;
        _emulatorToken = emulatorToken;
        _projectSetting = project;
    }

    public GcpService Service { get; }

    /// <summary>Scheme and host (and port) only; callers add the API's path (<c>/storage/v1/…</c>).</summary>
    public string BaseUrl { get; }

    public bool IsEmulator { get; }

    /// <summary>How long one non-streaming call may take before it counts as failed (and is retried).</summary>
    public static TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Base delay of the retry backoff; tests lower it.</summary>
    public static TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    public static GcpApi Create(SettingValues settings, GcpService service, Setting emulatorSetting)
    {
        var project = settings.GetString(GcpSettings.ProjectId);
        if (settings.GetString(emulatorSetting) is { Length: > 0 } emulator)
        {
            var url = emulator.Contains("://", StringComparison.Ordinal) ? emulator : "http://" + emulator;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            {
                throw settings.Invalid(emulatorSetting, $"'{emulator}' is not host:port or a URL");
            }
            // The Firestore emulator treats "Bearer owner" as an admin that bypasses security rules.
            var token = service == GcpService.Firestore ? "owner" : null;
            return new GcpApi(service, uri.GetLeftPart(UriPartial.Authority), isEmulator: true, null, token, project, settings.Names(emulatorSetting));
        }
        var credentials = GcpCredentials.Resolve(
            settings.GetString(GcpSettings.CredentialsFile),
            settings.GetString(GcpSettings.GcloudConfigDir),
            settings.GetString(GcpSettings.MetadataHost));
        string baseUrl;
        if (settings.GetString(GcpSettings.Endpoint) is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            {
                throw settings.Invalid(GcpSettings.Endpoint, $"'{endpoint}' is not an absolute URL");
            }
            baseUrl = uri.GetLeftPart(UriPartial.Authority);
        }
        else
        {
            baseUrl = service switch
            {
                GcpService.Storage => "https://storage.googleapis.com",
                GcpService.PubSub => "https://pubsub.googleapis.com",
                GcpService.BigQuery => "https://bigquery.googleapis.com",
                _ => "https://firestore.googleapis.com",
            };
        }
        var chosenBy = settings.IsSet(GcpSettings.Endpoint) ? settings.Names(GcpSettings.Endpoint) : null;
        return new GcpApi(service, baseUrl, isEmulator: false, credentials, null, project, chosenBy);
    }

    /// <summary>-gcp-project-id, else the credentials' project, else the metadata server's; or a clear error.</summary>
    public async Task<string> ProjectIdAsync(CancellationToken cancellationToken)
    {
        if (_project is { } known)
        {
            return known;
        }
        var project = _projectSetting;
        if (string.IsNullOrEmpty(project) && _credentials is not null)
        {
            project = await _credentials.ProjectIdAsync(SharedHttp, cancellationToken).ConfigureAwait(false);
        }
        if (string.IsNullOrEmpty(project))
        {
            throw DriverException.Configuration("no GCP project: set -gcp-project-id (env PROCX_GCP_PROJECT_ID / PUSHX_GCP_PROJECT_ID)");
        }
        return _project = project;
    }

    /// <summary>
    /// Sends a request built by <paramref name="build"/> (called again for each retry) and returns the
    /// response when it succeeded or its status is in <paramref name="accept"/>; otherwise throws
    /// <see cref="DriverException.Transient"/>. The caller disposes the response.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        Func<HttpRequestMessage> build,
        string operation,
        CancellationToken cancellationToken,
        bool retry = true,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead,
        TimeSpan? timeout = null,
        params HttpStatusCode[] accept)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            await AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout ?? CallTimeout);
            HttpResponseMessage response;
            try
            {
                response = await SharedHttp.SendAsync(request, completion, cts.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                var problem = e is OperationCanceledException
                    ? $"no answer within {(timeout ?? CallTimeout).TotalSeconds:0}s"
                    : ErrorText.NetworkReason(e) ?? ErrorText.Describe(e);
                if (retry && attempt < MaxAttempts)
                {
                    await DelayAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var check = _addressSettings is null ? "" : $": check {_addressSettings}";
                throw DriverException.Transient($"{Name} {operation}: cannot reach {BaseUrl} ({problem}){check}", e);
            }
            if (response.IsSuccessStatusCode || accept.Contains(response.StatusCode))
            {
                return response;
            }
            using (response)
            {
                var error = await ReadErrorAsync(response, cancellationToken).ConfigureAwait(false);
                if (retry && attempt < MaxAttempts && IsRetryable(response.StatusCode))
                {
                    await DelayAsync(attempt, response.Headers.RetryAfter, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw DriverException.Transient($"{Name} {operation}: {Describe(error)}", error);
            }
        }
    }

    /// <summary>A JSON call: sends <paramref name="body"/> (if any) and returns the parsed answer (null for an empty body or an accepted error status).</summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendJsonAsync(
        HttpMethod method,
        string pathAndQuery,
        JsonNode? body,
        string operation,
        CancellationToken cancellationToken,
        TimeSpan? timeout = null,
        params HttpStatusCode[] accept)
    {
        var json = body?.ToJsonString();
        using var response = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(method, BaseUrl + pathAndQuery);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }
            return request;
        }, operation, cancellationToken, retry: true, HttpCompletionOption.ResponseContentRead, timeout, accept).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return (response.StatusCode, null);
        }
        try
        {
            return (response.StatusCode, JsonNode.Parse(text));
        }
        catch (JsonException e)
        {
            throw DriverException.Transient($"{Name} {operation}: the answer is not JSON: {GcpCredentials.Truncate(text)}", e);
        }
    }

    public string Name => Service switch
    {
        GcpService.Storage => "Cloud Storage",
        GcpService.PubSub => "Pub/Sub",
        GcpService.BigQuery => "BigQuery",
        _ => "Firestore",
    };

    internal static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError
            or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private async Task AuthorizeAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_credentials is not null)
        {
            var token = await _credentials.AccessTokenAsync(SharedHttp, cancellationToken).ConfigureAwait(false);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        else if (_emulatorToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _emulatorToken);
        }
    }

    private static async Task DelayAsync(int attempt, RetryConditionHeaderValue? retryAfter, CancellationToken cancellationToken)
    {
        var delay = RetryBaseDelay * Math.Pow(2, attempt - 1) * (0.75 + Random.Shared.NextDouble() / 2);
        if (retryAfter?.Delta is { } asked && asked > delay)
        {
            delay = asked < TimeSpan.FromSeconds(30) ? asked : TimeSpan.FromSeconds(30);
        }
        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<GcpApiException> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            text = "";
        }
        string? status = null;
        var message = text;
        try
        {
            if (JsonNode.Parse(text) is JsonObject root && root["error"] is JsonObject error)
            {
                status = error["status"]?.GetValueKind() == JsonValueKind.String ? error["status"]!.GetValue<string>() : null;
                message = error["message"]?.GetValueKind() == JsonValueKind.String ? error["message"]!.GetValue<string>() : text;
            }
        }
        catch (JsonException)
        {
            // not JSON: keep the text
        }
        return new GcpApiException(response.StatusCode, status, GcpCredentials.Truncate(message.Trim()));
    }

    private string Describe(GcpApiException error)
    {
        var hint = error.StatusCode switch
        {
            HttpStatusCode.Unauthorized => " (the credentials were refused: check -gcp-credentials-file / GOOGLE_APPLICATION_CREDENTIALS)",
            HttpStatusCode.Forbidden => " (the credentials lack permission for this)",
            _ => "",
        };
        var status = error.Status is null ? "" : " " + error.Status;
        return $"HTTP {(int)error.StatusCode}{status}: {error.Message}{hint}";
    }

    /// <summary>Escapes one path segment (object names keep no slash: GCS wants them encoded).</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);
}
