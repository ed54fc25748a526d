using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using NATS.NKeys;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>
/// Decentralised authentication: a server of this class's own in operator mode (an operator, an account and
/// a user JWT, made and signed here with NATS.NKeys as nsc would) checks -nats-creds-file and the originals'
/// -nats-jwt-file + -nats-nkey-file pair.
/// </summary>
public sealed class NatsJwtTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procx-nats-jwt-").FullName;
    private Process? _server;
    private string _url = "";
    private string _creds = "";
    private string _jwtFile = "";
    private string _seedFile = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ = EndToEnd.NatsServer();
        using var op = KeyPair.CreatePair(PrefixByte.Operator);
        using var account = KeyPair.CreatePair(PrefixByte.Account);
        using var user = KeyPair.CreatePair(PrefixByte.User);
        var operatorJwt = Jwt(op, op.GetPublicKey(), "procx-op", new JsonObject { ["type"] = "operator", ["version"] = 2 });
        var accountJwt = Jwt(op, account.GetPublicKey(), "procx-acc", new JsonObject
        {
            ["limits"] = new JsonObject { ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1, ["wildcards"] = true, ["conn"] = -1, ["leaf"] = -1 },
            ["default_permissions"] = new JsonObject { ["pub"] = new JsonObject(), ["sub"] = new JsonObject() },
            ["type"] = "account",
            ["version"] = 2,
        });
        var userJwt = Jwt(account, user.GetPublicKey(), "procx-user", new JsonObject
        {
            ["pub"] = new JsonObject(), ["sub"] = new JsonObject(), ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["type"] = "user", ["version"] = 2,
        });
        _creds = Path.Combine(_dir, "user.creds");
        await File.WriteAllTextAsync(_creds, $"""
            -----BEGIN NATS USER JWT-----
            {userJwt}
            ------END NATS USER JWT------

            -----BEGIN USER NKEY SEED-----
            {user.GetSeed()}
            ------END USER NKEY SEED------
            """);
        _jwtFile = Path.Combine(_dir, "user.jwt");
        await File.WriteAllTextAsync(_jwtFile, userJwt + "\n");
        _seedFile = Path.Combine(_dir, "user.nk");
        await File.WriteAllTextAsync(_seedFile, user.GetSeed() + "\n");
        var conf = Path.Combine(_dir, "operator.conf");
        await File.WriteAllTextAsync(conf, $$"""
            operator: "{{operatorJwt}}"
            resolver: MEMORY
            resolver_preload: { {{account.GetPublicKey()}}: "{{accountJwt}}" }
            """);
        var port = ToolProcesses.FreePort();
        _url = $"nats://127.0.0.1:{port}";
        _server = await EndToEnd.StartServerAsync(port, "-c", conf);
    }

    public ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            ToolProcesses.Stop(_server);
        }
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>A JWT as nsc writes one: ed25519-nkey, base64url without padding, signed by <paramref name="issuer"/>.</summary>
    private static string Jwt(KeyPair issuer, string subject, string name, JsonObject nats)
    {
        static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var header = B64(Encoding.UTF8.GetBytes("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}"));
        var claims = new JsonObject
        {
            ["jti"] = Guid.NewGuid().ToString("N").ToUpperInvariant(),
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        var body = B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes($"{header}.{body}"), signature);
        return $"{header}.{body}.{B64(signature)}";
    }

    private async Task RoundTripAsync(Dictionary<string, string> flags)
    {
        var subject = NatsService.NewName("jwt");
        flags["nats-url"] = _url;
        flags["nats-subject"] = subject;
        await using var source = DriverFactory.Source(NatsService.Registry, "nats", new Dictionary<string, string>(flags) { ["nats-wait"] = "10s" });
        await using var sink = DriverFactory.Sink(NatsService.Registry, "nats", flags);
        var fetch = source.FetchAsync(TimeSpan.Zero, Ct);
        WorkItem? item = null;
        await ToolProcesses.WaitUntilAsync(async () =>
        {
            await sink.PushAsync(Payload.FromBytes("signed"u8.ToArray()), Ct);
            return await Task.WhenAny(fetch, Task.Delay(100, Ct)) == fetch && (item = await fetch) is not null;
        }, TimeSpan.FromSeconds(10), "the pushed message to reach the fetch");
        await using (item)
        {
            Assert.Equal("signed"u8.ToArray(), await item!.Payload.ReadAllBytesAsync(Ct));
        }
    }

    [Fact]
    public Task A_creds_file_authenticates() => RoundTripAsync(new() { ["nats-creds-file"] = _creds });

    [Fact]
    public Task The_originals_jwt_file_and_nkey_file_pair_authenticates() => RoundTripAsync(new() { ["nats-jwt-file"] = _jwtFile, ["nats-nkey-file"] = _seedFile });

    [Fact]
    public async Task Without_credentials_the_operator_mode_server_refuses_with_a_configuration_error()
    {
        await using var sink = DriverFactory.Sink(NatsService.Registry, "nats", new Dictionary<string, string> { ["nats-url"] = _url, ["nats-subject"] = "x" });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-nats-creds-file", e.Message, StringComparison.Ordinal);
    }
}
