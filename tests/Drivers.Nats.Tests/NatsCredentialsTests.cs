using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using NATS.NKeys;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>
/// Servers of this class's own: TLS with a self-signed certificate and users (password and NKey) on 14224, a
/// token on 14225. Each credential is checked by a push and a fetch through the drivers, and a wrong one by
/// its error: a configuration error (exit 78) naming the flags, never a secret.
/// </summary>
public sealed class NatsCredentialsTests : IAsyncLifetime
{
    private const int TlsPort = 14224;
    private const int TokenPort = 14225;
    private const string Token = "t0ken-s3cret";
    private const string Password = "pa55-s3cret";
    private readonly string _dir = Directory.CreateTempSubdirectory("procx-nats-auth-").FullName;
    private readonly List<Process> _servers = [];
    private string _seedFile = "";
    private string _caFile = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ = EndToEnd.NatsServer(); // a skip, visibly, where there is none
        using var nkey = KeyPair.CreatePair(PrefixByte.User);
        _seedFile = Path.Combine(_dir, "user.nk");
        await File.WriteAllTextAsync(_seedFile, nkey.GetSeed() + "\n");
        (_caFile, var keyFile) = await WriteSelfSignedAsync(_dir);
        var tlsConf = Path.Combine(_dir, "tls.conf");
        await File.WriteAllTextAsync(tlsConf, $$"""
            tls { cert_file: "{{_caFile}}", key_file: "{{keyFile}}" }
            authorization { users = [ { user: "u", password: "{{Password}}" }, { nkey: "{{nkey.GetPublicKey()}}" } ] }
            """);
        var tokenConf = Path.Combine(_dir, "token.conf");
        await File.WriteAllTextAsync(tokenConf, $"authorization {{ token: \"{Token}\" }}\n");
        _servers.Add(await EndToEnd.StartServerAsync(TlsPort, "-c", tlsConf));
        _servers.Add(await EndToEnd.StartServerAsync(TokenPort, "-c", tokenConf));
    }

    public ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            ToolProcesses.Stop(server);
        }
        Directory.Delete(_dir, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>A self-signed certificate for 127.0.0.1/localhost; it is its own CA file.</summary>
    internal static async Task<(string Cert, string Key)> WriteSelfSignedAsync(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=procx-test", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var certFile = Path.Combine(dir, "cert.pem");
        var keyFile = Path.Combine(dir, "key.pem");
        await File.WriteAllTextAsync(certFile, cert.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }

    private static string TlsUrl => $"nats://127.0.0.1:{TlsPort}";

    /// <summary>A core round trip through the drivers: a fetch waits, a push publishes, the fetch gets it.</summary>
    private static async Task RoundTripAsync(Dictionary<string, string> flags)
    {
        var subject = NatsService.NewName("auth");
        flags["nats-subject"] = subject;
        await using var source = DriverFactory.Source(NatsService.Registry, "nats", new Dictionary<string, string>(flags) { ["nats-wait"] = "10s" });
        await using var sink = DriverFactory.Sink(NatsService.Registry, "nats", flags);
        var fetch = source.FetchAsync(TimeSpan.Zero, Ct);
        WorkItem? item = null;
        // Core NATS keeps nothing: publish until the waiting fetch has it.
        await ToolProcesses.WaitUntilAsync(async () =>
        {
            await sink.PushAsync(Payload.FromBytes("hello"u8.ToArray()), Ct);
            return await Task.WhenAny(fetch, Task.Delay(100, Ct)) == fetch && (item = await fetch) is not null;
        }, TimeSpan.FromSeconds(10), "the pushed message to reach the fetch");
        await using (item)
        {
            Assert.Equal("hello"u8.ToArray(), await item!.Payload.ReadAllBytesAsync(Ct));
        }
    }

    private static async Task<DriverException> RefusedAsync(Dictionary<string, string> flags)
    {
        flags["nats-subject"] = "x";
        await using var sink = DriverFactory.Sink(NatsService.Registry, "nats", flags);
        return await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
    }

    [Fact]
    public async Task Tls_with_the_ca_file_and_a_user_password_works()
    {
        await RoundTripAsync(new() { ["nats-url"] = TlsUrl, ["nats-enable-tls"] = "true", ["nats-tls-ca-file"] = _caFile, ["nats-username"] = "u", ["nats-password"] = Password });
    }

    [Fact]
    public async Task Tls_insecure_skips_verification()
    {
        await RoundTripAsync(new() { ["nats-url"] = TlsUrl, ["nats-enable-tls"] = "true", ["nats-tls-insecure"] = "true", ["nats-username"] = "u", ["nats-password"] = Password });
    }

    [Fact]
    public async Task Tls_without_the_ca_is_a_configuration_error_naming_the_ca_flag()
    {
        var e = await RefusedAsync(new() { ["nats-url"] = TlsUrl, ["nats-enable-tls"] = "true", ["nats-username"] = "u", ["nats-password"] = Password });
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-nats-tls-ca-file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_password_is_a_configuration_error_that_shows_no_secret()
    {
        var e = await RefusedAsync(new() { ["nats-url"] = TlsUrl, ["nats-enable-tls"] = "true", ["nats-tls-ca-file"] = _caFile, ["nats-username"] = "u", ["nats-password"] = "wrong-s3cret" });
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("refused the credentials", e.Message, StringComparison.Ordinal);
        Assert.Contains("-nats-password", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_nkey_seed_file_authenticates()
    {
        await RoundTripAsync(new() { ["nats-url"] = TlsUrl, ["nats-enable-tls"] = "true", ["nats-tls-ca-file"] = _caFile, ["nats-nkey-file"] = _seedFile });
    }

    [Fact]
    public async Task A_file_without_a_seed_is_a_configuration_error_at_start()
    {
        var bad = Path.Combine(_dir, "bad.nk");
        await File.WriteAllTextAsync(bad, "not a seed\n", Ct);
        var e = Assert.Throws<DriverException>(() => DriverFactory.Sink(NatsService.Registry, "nats",
            new Dictionary<string, string> { ["nats-url"] = TlsUrl, ["nats-subject"] = "x", ["nats-nkey-file"] = bad }));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-nats-nkey-file", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_authenticates_and_a_wrong_one_is_refused()
    {
        await RoundTripAsync(new() { ["nats-url"] = $"nats://127.0.0.1:{TokenPort}", ["nats-token"] = Token });
        var e = await RefusedAsync(new() { ["nats-url"] = $"nats://127.0.0.1:{TokenPort}", ["nats-token"] = "nope-s3cret" });
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.DoesNotContain("nope-s3cret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_server_is_transient_and_names_the_url()
    {
        var port = ToolProcesses.FreePort();
        var e = await RefusedAsync(new() { ["nats-url"] = $"nats://127.0.0.1:{port}" });
        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains("-nats-url", e.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", e.Message, StringComparison.Ordinal);
    }
}
