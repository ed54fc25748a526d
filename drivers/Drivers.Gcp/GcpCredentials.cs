using Drivers.Core.Contracts;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Drivers.Core;

namespace Drivers.Gcp;

/// <summary>
/// Application Default Credentials, done here on System.Text.Json source generation rather than with
/// Google.Apis.Auth (which deserializes with Newtonsoft reflection, unsafe under Native AOT). The order is
/// ADC's: an explicit key file (-gcp-credentials-file / GOOGLE_APPLICATION_CREDENTIALS), gcloud's
/// application_default_credentials.json, then the metadata server (GCE, GKE, Cloud Run).
/// </summary>
internal abstract class GcpCredentials
{
    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    private static readonly TimeSpan RefreshMargin = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;
    private DateTimeOffset _expires;

    /// <summary>What the credentials are, for messages (never the secret).</summary>
    public abstract string Description { get; }

    /// <summary>The project the credentials belong to, if they say.</summary>
    public virtual Task<string?> ProjectIdAsync(HttpClient http, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    /// <summary>A valid access token, fetched or refreshed when within five minutes of expiry.</summary>
    public async Task<string> AccessTokenAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (_token is { } cached && DateTimeOffset.UtcNow < _expires - RefreshMargin)
        {
            return cached;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is { } again && DateTimeOffset.UtcNow < _expires - RefreshMargin)
            {
                return again;
            }
            TokenResponse response;
            try
            {
                response = await FetchTokenAsync(http, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw DriverException.Transient($"getting a Google access token ({Description}) failed: {e.Message}", e);
            }
            if (string.IsNullOrEmpty(response.AccessToken))
            {
                throw DriverException.Transient($"the token endpoint gave no access_token ({Description})");
            }
            _token = response.AccessToken;
            _expires = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(response.ExpiresIn > 0 ? response.ExpiresIn : 3600);
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected abstract Task<TokenResponse> FetchTokenAsync(HttpClient http, CancellationToken cancellationToken);

    protected async Task<TokenResponse> PostTokenFormAsync(HttpClient http, string uri, Dictionary<string, string> form, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new FormUrlEncodedContent(form) };
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw DriverException.Transient($"the token endpoint {uri} refused {Description}: HTTP {(int)response.StatusCode} {Truncate(body)}");
        }
        return ParseToken(body, uri);
    }

    protected TokenResponse ParseToken(string body, string from)
    {
        try
        {
            return JsonSerializer.Deserialize(body, GcpJsonContext.Default.TokenResponse) ?? new TokenResponse();
        }
        catch (JsonException e)
        {
            throw DriverException.Transient($"{from} answered with something that is not a token ({Description}): {e.Message}", e);
        }
    }

    internal static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    /// <summary>Finds credentials the ADC way. Throws a <see cref="DriverException"/> naming what to set when a file is bad.</summary>
    public static GcpCredentials Resolve(string? explicitFile, string? gcloudConfigDir, string? metadataHost)
    {
        if (!string.IsNullOrEmpty(explicitFile))
        {
            if (!File.Exists(explicitFile))
            {
                throw DriverException.Configuration($"credentials file '{explicitFile}' does not exist (set -gcp-credentials-file or GOOGLE_APPLICATION_CREDENTIALS)");
            }
            return FromFile(explicitFile);
        }
        var configDir = !string.IsNullOrEmpty(gcloudConfigDir)
            ? gcloudConfigDir
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config", "gcloud");
        var wellKnown = Path.Combine(configDir, "application_default_credentials.json");
        if (File.Exists(wellKnown))
        {
            return FromFile(wellKnown);
        }
        return new MetadataCredentials(string.IsNullOrEmpty(metadataHost) ? "169.254.169.254" : metadataHost);
    }

    public static GcpCredentials FromFile(string path)
    {
        CredentialFile? file;
        try
        {
            file = JsonSerializer.Deserialize(File.ReadAllText(path), GcpJsonContext.Default.CredentialFile);
        }
        catch (JsonException e)
        {
            throw DriverException.Configuration($"credentials file '{path}' is not valid JSON: {e.Message}");
        }
        return file?.Type switch
        {
            "service_account" => new ServiceAccountCredentials(file, path),
            "authorized_user" => new AuthorizedUserCredentials(file, path),
            null => throw DriverException.Configuration($"credentials file '{path}' has no \"type\""),
            var other => throw DriverException.Configuration($"credentials file '{path}' is of type '{other}'; supported: service_account, authorized_user"),
        };
    }
}

/// <summary>A service-account key: an RS256-signed JWT exchanged at the key's token_uri (RFC 7523).</summary>
internal sealed class ServiceAccountCredentials : GcpCredentials
{
    private readonly CredentialFile _file;
    private readonly RSA _key;
    private readonly string _tokenUri;

    public ServiceAccountCredentials(CredentialFile file, string path)
    {
        _file = file;
        if (string.IsNullOrEmpty(file.ClientEmail) || string.IsNullOrEmpty(file.PrivateKey))
        {
            throw DriverException.Configuration($"service-account file '{path}' lacks client_email or private_key");
        }
        _key = RSA.Create();
        try
        {
            _key.ImportFromPem(file.PrivateKey);
        }
        catch (ArgumentException e)
        {
            throw DriverException.Configuration($"service-account file '{path}': private_key is not a PEM RSA key: {e.Message}");
        }
        _tokenUri = string.IsNullOrEmpty(file.TokenUri) ? "https://oauth2.googleapis.com/token" : file.TokenUri;
    }

    public override string Description => $"service account {_file.ClientEmail}";

    public override Task<string?> ProjectIdAsync(HttpClient http, CancellationToken cancellationToken) => Task.FromResult(_file.ProjectId);

    /// <summary>The RS256-signed JWT assertion (RFC 7523).</summary>
    private string CreateAssertion(DateTimeOffset now)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new JwtHeader { Kid = _file.PrivateKeyId }, GcpJsonContext.Default.JwtHeader);
        var claims = JsonSerializer.SerializeToUtf8Bytes(new JwtClaims
        {
            Iss = _file.ClientEmail,
            Scope = CloudPlatformScope,
            Aud = _tokenUri,
            Iat = now.ToUnixTimeSeconds(),
            Exp = now.ToUnixTimeSeconds() + 3600,
        }, GcpJsonContext.Default.JwtClaims);
        var signingInput = Base64Url(header) + "." + Base64Url(claims);
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + Base64Url(signature);
    }

    protected override Task<TokenResponse> FetchTokenAsync(HttpClient http, CancellationToken cancellationToken) =>
        PostTokenFormAsync(http, _tokenUri, new()
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:jwt-bearer",
            ["assertion"] = CreateAssertion(DateTimeOffset.UtcNow),
        }, cancellationToken);

    internal static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>gcloud's user credentials: a refresh token exchanged for an access token.</summary>
internal sealed class AuthorizedUserCredentials : GcpCredentials
{
    private readonly CredentialFile _file;
    private readonly string _path;

    public AuthorizedUserCredentials(CredentialFile file, string path)
    {
        if (string.IsNullOrEmpty(file.RefreshToken) || string.IsNullOrEmpty(file.ClientId))
        {
            throw DriverException.Configuration($"authorized-user file '{path}' lacks refresh_token or client_id (run gcloud auth application-default login)");
        }
        _file = file;
        _path = path;
    }

    public override string Description => $"user credentials from {_path}";

    public override Task<string?> ProjectIdAsync(HttpClient http, CancellationToken cancellationToken) => Task.FromResult(_file.QuotaProjectId);

    protected override Task<TokenResponse> FetchTokenAsync(HttpClient http, CancellationToken cancellationToken) =>
        PostTokenFormAsync(http, string.IsNullOrEmpty(_file.TokenUri) ? "https://oauth2.googleapis.com/token" : _file.TokenUri, new()
        {
            ["grant_type"] = "refresh_token",
            ["client_id"] = _file.ClientId!,
            ["client_secret"] = _file.ClientSecret ?? "",
            ["refresh_token"] = _file.RefreshToken!,
        }, cancellationToken);
}

/// <summary>The metadata server of GCE, GKE and Cloud Run: the attached service account's token.</summary>
internal sealed class MetadataCredentials(string host) : GcpCredentials
{
    private readonly string _base = host.Contains("://", StringComparison.Ordinal) ? host.TrimEnd('/') : "http://" + host;

    public override string Description => $"the metadata server at {_base}";

    public override async Task<string?> ProjectIdAsync(HttpClient http, CancellationToken cancellationToken)
    {
        try
        {
            return (await GetAsync(http, "/computeMetadata/v1/project/project-id", cancellationToken).ConfigureAwait(false)).Trim();
        }
        catch (DriverException)
        {
            return null;
        }
    }

    protected override async Task<TokenResponse> FetchTokenAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var body = await GetAsync(http, "/computeMetadata/v1/instance/service-accounts/default/token", cancellationToken).ConfigureAwait(false);
        return ParseToken(body, _base);
    }

    private async Task<string> GetAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _base + path);
        request.Headers.Add("Metadata-Flavor", "Google");
        // Off GCP the link-local address does not answer: fail fast with a message saying what to set.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            var body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw DriverException.Transient($"the metadata server at {_base} answered HTTP {(int)response.StatusCode}: {Truncate(body)}");
            }
            return body;
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw DriverException.Transient(
                "no Google credentials found: set -gcp-credentials-file or GOOGLE_APPLICATION_CREDENTIALS to a service-account key, " +
                "run 'gcloud auth application-default login', or run on GCP (the metadata server at " + _base + " did not answer)", e);
        }
    }
}
