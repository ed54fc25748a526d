using System.Text.Json.Serialization;

namespace Drivers.Gcp;

/// <summary>A credentials JSON file: service_account or authorized_user (the fields ADC reads).</summary>
internal sealed class CredentialFile
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("quota_project_id")] public string? QuotaProjectId { get; set; }
    [JsonPropertyName("private_key_id")] public string? PrivateKeyId { get; set; }
    [JsonPropertyName("private_key")] public string? PrivateKey { get; set; }
    [JsonPropertyName("client_email")] public string? ClientEmail { get; set; }
    [JsonPropertyName("client_id")] public string? ClientId { get; set; }
    [JsonPropertyName("client_secret")] public string? ClientSecret { get; set; }
    [JsonPropertyName("refresh_token")] public string? RefreshToken { get; set; }
    [JsonPropertyName("token_uri")] public string? TokenUri { get; set; }
}

/// <summary>An OAuth 2.0 token endpoint's (or the metadata server's) answer.</summary>
internal sealed class TokenResponse
{
    [JsonPropertyName("access_token")] public string? AccessToken { get; set; }
    [JsonPropertyName("expires_in")] public int ExpiresIn { get; set; }
    [JsonPropertyName("token_type")] public string? TokenType { get; set; }
}

internal sealed class JwtHeader
{
    [JsonPropertyName("alg")] public string Alg { get; set; } = "RS256";
    [JsonPropertyName("typ")] public string Typ { get; set; } = "JWT";
    [JsonPropertyName("kid")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Kid { get; set; }
}

internal sealed class JwtClaims
{
    [JsonPropertyName("iss")] public string? Iss { get; set; }
    [JsonPropertyName("scope")] public string? Scope { get; set; }
    [JsonPropertyName("aud")] public string? Aud { get; set; }
    [JsonPropertyName("iat")] public long Iat { get; set; }
    [JsonPropertyName("exp")] public long Exp { get; set; }
}

/// <summary>Source-generated JSON metadata: no reflection at run time (Native AOT).</summary>
[JsonSerializable(typeof(CredentialFile))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(JwtHeader))]
[JsonSerializable(typeof(JwtClaims))]
internal sealed partial class GcpJsonContext : JsonSerializerContext;
