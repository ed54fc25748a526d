using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Drivers.Etcd.Gateway;

/// <summary>
/// etcd's v3 API over its JSON gateway (<c>POST /v3/kv/range</c>, <c>/v3/kv/txn</c>, <c>/v3/lease/*</c>,
/// <c>/v3/watch</c>, <c>/v3/auth/authenticate</c>) on HttpClient with source-generated JSON: no gRPC stack,
/// nothing reflective, so it is Native AOT-clean. The one place a client is built from
/// <see cref="EtcdSettings.Connection"/>: endpoints tried in turn, TLS (a CA file, a client certificate,
/// or no verification), and user/password auth (a token from <c>authenticate</c>, fetched again when etcd
/// says it expired). Errors come out as <see cref="DriverException"/>s that name the setting to change.
/// </summary>
internal sealed partial class EtcdGateway : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly SettingValues _settings;
    private readonly ILog _log;
    private readonly Uri[] _endpoints;
    private readonly HttpClient _http;
    private readonly string? _username;
    private readonly string? _password;
    private readonly SemaphoreSlim _authGate = new(1, 1);
    private int _current;
    private string? _token;
    private bool _authDisabled;

    public EtcdGateway(SettingValues settings, ILog log)
    {
        _settings = settings;
        _log = log;
        var tls = settings.GetBool(EtcdSettings.TlsEnable);
        _endpoints = ParseEndpoints(settings, tls);
        _username = settings.GetString(EtcdSettings.Username) is { Length: > 0 } u ? u : null;
        _password = settings.GetString(EtcdSettings.Password) is { Length: > 0 } p ? p : null;
        if (_username is null != (_password is null))
        {
            throw settings.Invalid(_username is null ? EtcdSettings.Username : EtcdSettings.Password,
                "etcd auth needs both -etcd-username and -etcd-password");
        }
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxConnectionsPerServer = 64,
            UseProxy = false,
        };
        if (_endpoints.Any(e => e.Scheme == Uri.UriSchemeHttps))
        {
            ConfigureTls(handler.SslOptions);
        }
        else if (settings.GetString(EtcdSettings.TlsCa) is { Length: > 0 } || settings.GetBool(EtcdSettings.TlsInsecure))
        {
            log.Warn("TLS settings are ignored without -etcd-tls-enable or https:// endpoints");
        }
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        Endpoint = _endpoints[0].Authority;
    }

    /// <summary>The first endpoint's host:port, for messages.</summary>
    public string Endpoint { get; }

    private string Current => _endpoints[Volatile.Read(ref _current) % _endpoints.Length].Authority;

    public Task<RangeResponse> RangeAsync(RangeRequest request, CancellationToken cancellationToken) =>
        CallAsync("/v3/kv/range", request, EtcdJsonContext.Default.RangeRequest, EtcdJsonContext.Default.RangeResponse, "read keys", cancellationToken);

    public Task<PutResponse> PutAsync(PutRequest request, CancellationToken cancellationToken) =>
        CallAsync("/v3/kv/put", request, EtcdJsonContext.Default.PutRequest, EtcdJsonContext.Default.PutResponse, "put a key", cancellationToken);

    public Task<TxnResponse> TxnAsync(TxnRequest request, CancellationToken cancellationToken) =>
        CallAsync("/v3/kv/txn", request, EtcdJsonContext.Default.TxnRequest, EtcdJsonContext.Default.TxnResponse, "run a transaction", cancellationToken);

    public Task<LeaseGrantResponse> LeaseGrantAsync(long ttlSeconds, CancellationToken cancellationToken) =>
        CallAsync("/v3/lease/grant", new LeaseGrantRequest { Ttl = ttlSeconds }, EtcdJsonContext.Default.LeaseGrantRequest, EtcdJsonContext.Default.LeaseGrantResponse, "grant a lease", cancellationToken);

    /// <summary>Revokes a lease (its keys go with it); a lease already gone is no error.</summary>
    public Task LeaseRevokeAsync(long id, CancellationToken cancellationToken) =>
        CallAsync("/v3/lease/revoke", new LeaseIdRequest { Id = id }, EtcdJsonContext.Default.LeaseIdRequest, EtcdJsonContext.Default.EmptyResponse, "revoke a lease", cancellationToken,
            handled: e => e.Code == 5 /* NotFound: lapsed already */);

    /// <summary>One keep-alive; the lease's remaining TTL in seconds, 0 when it has lapsed.</summary>
    public async Task<long> LeaseKeepAliveAsync(long id, CancellationToken cancellationToken)
    {
        var reply = await CallAsync("/v3/lease/keepalive", new LeaseIdRequest { Id = id }, EtcdJsonContext.Default.LeaseIdRequest,
            EtcdJsonContext.Default.StreamEnvelopeLeaseKeepAliveResponse, "keep a lease alive", cancellationToken).ConfigureAwait(false);
        if (reply.Error is { } error)
        {
            throw Translate(error, "keep a lease alive");
        }
        return reply.Result?.Ttl ?? 0;
    }

    /// <summary>
    /// Waits until something changes in one of <paramref name="ranges"/> after <paramref name="afterRevision"/>
    /// (one watch stream each), or <paramref name="wait"/> passes. True when an event came.
    /// </summary>
    public async Task<bool> WatchAnyAsync(IReadOnlyList<WatchCreateRequest> ranges, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(wait);
        var watches = ranges.Select(r => WatchOneAsync(r, cts.Token)).ToList();
        try
        {
            while (watches.Count > 0)
            {
                var done = await Task.WhenAny(watches).ConfigureAwait(false);
                watches.Remove(done);
                if (await done.ConfigureAwait(false))
                {
                    return true;
                }
            }
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false; // waited long enough
        }
        finally
        {
            await cts.CancelAsync().ConfigureAwait(false);
            foreach (var rest in watches)
            {
                try
                {
                    await rest.ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or DriverException)
                {
                }
            }
        }
    }

    private async Task<bool> WatchOneAsync(WatchCreateRequest create, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new WatchRequest { Create = create }, EtcdJsonContext.Default.WatchRequest);
        using var response = await SendAsync("/v3/watch", body, "watch keys", streaming: true, cancellationToken).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The stream broke (etcd went down): look again, and let that fetch report the connection.
                _log.Debug("the watch stream broke", ("endpoint", Current), ("error", ErrorText.OneLine(e.Message)));
                return true;
            }
            if (line is null)
            {
                break;
            }
            if (line.Length == 0)
            {
                continue;
            }
            var message = JsonSerializer.Deserialize(line, EtcdJsonContext.Default.StreamEnvelopeWatchResponse);
            if (message?.Error is { } error)
            {
                throw Translate(error, "watch keys");
            }
            if (message?.Result is not { } result)
            {
                continue;
            }
            // A compacted start revision or a cancelled watch: something may have changed; look again.
            if (result.Events is { Count: > 0 } || result.Canceled || result.CompactRevision > 0)
            {
                return true;
            }
        }
        return true; // the stream ended (etcd restarted): look again rather than wait out the interval
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(string path, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType,
        string what, CancellationToken cancellationToken, Func<GatewayError, bool>? handled = null)
        where TResponse : class, new()
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(CallTimeout);
        try
        {
            using var response = await SendAsync(path, body, what, streaming: false, cts.Token, handled).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                return new TResponse();
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cts.Token).ConfigureAwait(false);
            return await JsonSerializer.DeserializeAsync(stream, responseType, cts.Token).ConfigureAwait(false) ?? new TResponse();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw DriverException.Transient($"etcd at {Current} did not answer in {CallTimeout.TotalSeconds:0}s (to {what})");
        }
        catch (JsonException e)
        {
            throw DriverException.Transient($"etcd at {Current} gave an answer that is not the v3 JSON API's (to {what}): is -etcd-hosts an etcd 3.4+ client URL?", e);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw _settings.Unreachable("etcd", Current, ErrorText.NetworkReason(e) ?? "the connection broke", e, EtcdSettings.Hosts);
        }
    }

    /// <summary>
    /// Posts to each endpoint in turn until one answers; signs in first when auth is set, and once more when
    /// etcd says the token is no longer valid. A handled error answer is returned for the caller to read.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string path, byte[] body, string what, bool streaming, CancellationToken cancellationToken, Func<GatewayError, bool>? handled = null)
    {
        var reauthenticated = false;
        while (true)
        {
            var token = path == "/v3/auth/authenticate" ? null : await TokenAsync(cancellationToken).ConfigureAwait(false);
            var response = await PostAnyEndpointAsync(path, body, token, streaming, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }
            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                GatewayError? error = null;
                try
                {
                    error = JsonSerializer.Deserialize(text, EtcdJsonContext.Default.GatewayError);
                }
                catch (JsonException)
                {
                }
                if (error is null || (error.Message is null && error.Error is null))
                {
                    throw NotGateway(response.StatusCode, text, what);
                }
                if (!reauthenticated && token is not null && IsInvalidToken(error))
                {
                    reauthenticated = true;
                    Interlocked.CompareExchange(ref _token, null, token);
                    continue;
                }
                if (handled?.Invoke(error) == true)
                {
                    return new HttpResponseMessage(HttpStatusCode.NoContent);
                }
                throw Translate(error, what);
            }
        }
    }

    private async Task<HttpResponseMessage> PostAnyEndpointAsync(string path, byte[] body, string? token, bool streaming, CancellationToken cancellationToken)
    {
        var start = Volatile.Read(ref _current);
        Exception? last = null;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var index = (start + i) % _endpoints.Length;
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_endpoints[index], path))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
                Version = HttpVersion.Version11,
            };
            if (token is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", token);
            }
            try
            {
                var response = await _http.SendAsync(request, streaming ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _current, index);
                return response;
            }
            catch (HttpRequestException e) when (IsTlsFailure(e))
            {
                throw _settings.Invalid(EtcdSettings.TlsCa,
                    $"the TLS handshake with etcd at {_endpoints[index].Authority} failed (is it a TLS port, and is its certificate signed by -etcd-tls-ca?): {ErrorText.Describe(ErrorText.Innermost(e))}");
            }
            catch (HttpRequestException e)
            {
                last = e;
                if (_endpoints.Length > 1)
                {
                    _log.Debug("etcd endpoint unreachable; trying the next", ("endpoint", _endpoints[index].Authority), ("error", ErrorText.NetworkReason(e) ?? e.Message));
                }
            }
        }
        var reason = last switch
        {
            null => "unreachable",
            // etcd's TLS port closes a plain-HTTP connection without a word.
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } when _endpoints.All(e => e.Scheme == Uri.UriSchemeHttp)
                => "the connection closed without an answer: is it a TLS port (-etcd-tls-enable)?",
            _ => ErrorText.NetworkReason(last) ?? ErrorText.OneLine(ErrorText.Innermost(last).Message),
        };
        var where = _endpoints.Length == 1 ? _endpoints[0].Authority : string.Join(", ", _endpoints.Select(e => e.Authority));
        throw _settings.Unreachable("etcd", where, reason, last, EtcdSettings.Hosts);
    }

    private async Task<string?> TokenAsync(CancellationToken cancellationToken)
    {
        if (_username is null || _authDisabled)
        {
            return null;
        }
        if (Volatile.Read(ref _token) is { } token)
        {
            return token;
        }
        await _authGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is not null || _authDisabled)
            {
                return _token;
            }
            var body = JsonSerializer.SerializeToUtf8Bytes(new AuthenticateRequest { Name = _username, Password = _password }, EtcdJsonContext.Default.AuthenticateRequest);
            using var response = await SendAsync("/v3/auth/authenticate", body, "sign in", streaming: false, cancellationToken, handled: e =>
            {
                if (e.Message?.Contains("authentication is not enabled", StringComparison.Ordinal) == true)
                {
                    _log.Warn("etcd auth is not enabled on the server; -etcd-username/-etcd-password are not used", ("endpoint", Current));
                    _authDisabled = true;
                    return true;
                }
                return false;
            }).ConfigureAwait(false);
            if (_authDisabled)
            {
                return null;
            }
            var reply = JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false), EtcdJsonContext.Default.AuthenticateResponse);
            return _token = reply?.Token is { Length: > 0 } t ? t : throw DriverException.Transient($"etcd at {Current} signed in user '{_username}' but gave no token");
        }
        finally
        {
            _authGate.Release();
        }
    }

    private static Uri[] ParseEndpoints(SettingValues settings, bool tls)
    {
        var text = settings.GetRequiredString(EtcdSettings.Hosts);
        var endpoints = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : (tls ? "https://" : "http://") + part;
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
                || uri.AbsolutePath is not ("/" or ""))
            {
                throw settings.Invalid(EtcdSettings.Hosts, $"'{ErrorText.OneLine(part)}' is not an etcd endpoint (host:port, http://host:port or https://host:port)");
            }
            if (part.Contains("://", StringComparison.Ordinal) is false && uri.IsDefaultPort)
            {
                uri = new UriBuilder(uri) { Port = 2379 }.Uri; // etcd's client port, as the Go client assumes none
            }
            endpoints.Add(new Uri(uri.GetLeftPart(UriPartial.Authority)));
        }
        return endpoints.Count > 0 ? [.. endpoints] : throw settings.MissingError(EtcdSettings.Hosts);
    }

    public void Dispose()
    {
        _http.Dispose();
        _authGate.Dispose();
    }
}
