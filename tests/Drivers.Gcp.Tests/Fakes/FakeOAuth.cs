using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>
/// A Google OAuth 2.0 token endpoint (<c>POST /token</c>) and a GCE metadata server. The token endpoint
/// verifies a service account's RS256 JWT assertion against the key it was given (signature, iss, aud,
/// scope, expiry), or an authorized user's refresh token, and issues a fresh access token.
/// </summary>
public sealed class FakeOAuth : FakeServer
{
    private int _issued;

    public RSA? ServiceAccountKey { get; set; }

    public string? ServiceAccountEmail { get; set; }

    public string? RefreshToken { get; set; }

    public ConcurrentQueue<string> Issued { get; } = new();

    public ConcurrentQueue<string> Rejections { get; } = new();

    public string TokenUri => Url + "/token";

    public static async Task<FakeOAuth> StartNewAsync()
    {
        var fake = new FakeOAuth();
        await fake.StartAsync();
        return fake;
    }

    protected override bool IsApiCall(string path) => false;

    protected override async Task HandleAsync(HttpContext context, string path)
    {
        if (path == "/token" && context.Request.Method == "POST")
        {
            var form = await context.Request.ReadFormAsync();
            var problem = form["grant_type"].ToString() switch
            {
                "urn:ietf:params:oauth:grant-type:jwt-bearer" => CheckAssertion(form["assertion"].ToString()),
                "refresh_token" => form["refresh_token"] == RefreshToken && RefreshToken is not null ? null : "bad refresh token",
                var other => $"unsupported grant_type {other}",
            };
            if (problem is not null)
            {
                Rejections.Enqueue(problem);
                await JsonAsync(context, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = problem }, 400);
                return;
            }
            await IssueAsync(context);
        }
        else if (path == "/computeMetadata/v1/instance/service-accounts/default/token")
        {
            if (context.Request.Headers["Metadata-Flavor"] != "Google")
            {
                context.Response.StatusCode = 403;
                return;
            }
            await IssueAsync(context);
        }
        else if (path == "/computeMetadata/v1/project/project-id")
        {
            await context.Response.WriteAsync("metadata-project");
        }
        else
        {
            context.Response.StatusCode = 404;
        }
    }

    private async Task IssueAsync(HttpContext context)
    {
        var token = $"ya29.fake-{Interlocked.Increment(ref _issued)}-{Guid.NewGuid():N}";
        Issued.Enqueue(token);
        await JsonAsync(context, new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer" });
    }

    private string? CheckAssertion(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3 || ServiceAccountKey is null)
        {
            return "malformed assertion";
        }
        var header = JsonNode.Parse(Decode(parts[0]))!;
        var claims = JsonNode.Parse(Decode(parts[1]))!;
        if (header["alg"]?.GetValue<string>() != "RS256")
        {
            return "alg is not RS256";
        }
        if (!ServiceAccountKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Decode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "signature does not verify";
        }
        if (claims["iss"]?.GetValue<string>() != ServiceAccountEmail)
        {
            return "iss is not the service account";
        }
        if (claims["aud"]?.GetValue<string>() != TokenUri)
        {
            return "aud is not the token endpoint";
        }
        if (claims["scope"]?.GetValue<string>() != "https://www.googleapis.com/auth/cloud-platform")
        {
            return "scope is wrong";
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var iat = claims["iat"]!.GetValue<long>();
        var exp = claims["exp"]!.GetValue<long>();
        return iat > now + 60 || exp < now || exp - iat > 3600 ? "token times are wrong" : null;
    }

    private static byte[] Decode(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
