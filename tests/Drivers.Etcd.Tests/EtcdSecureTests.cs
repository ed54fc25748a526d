using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Etcd.Tests;

/// <summary>
/// Against the TLS + auth member of tests/services/etcd.service.sh (PROCX_TEST_ETCD_TLS: a self-signed
/// certificate, auth enabled, user procx with readwrite on every key).
/// </summary>
public sealed class EtcdSecureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string Address, string Ca, string User, string Password) Secure()
    {
        var address = TestServices.Require("PROCX_TEST_ETCD_TLS", "etcd with TLS and auth");
        TestServices.Announce("etcd", $"etcd with TLS (self-signed) and auth at {address} (PROCX_TEST_ETCD_TLS)");
        return (address, Environment.GetEnvironmentVariable("PROCX_TEST_ETCD_CA")!, Environment.GetEnvironmentVariable("PROCX_TEST_ETCD_USER")!,
            Environment.GetEnvironmentVariable("PROCX_TEST_ETCD_PASSWORD")!);
    }

    private static Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var (address, ca, user, password) = Secure();
        var flags = new Dictionary<string, string>
        {
            ["etcd-hosts"] = address,
            ["etcd-tls-enable"] = "true",
            ["etcd-tls-ca"] = ca,
            ["etcd-username"] = user,
            ["etcd-password"] = password,
        };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    [Fact]
    public async Task Push_then_take_over_tls_with_user_and_password()
    {
        var root = EtcdService.NewPrefix("secure");
        await using (var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", Flags(("etcd-key", root + "{{id}}"))))
        {
            await sink.PushAsync(Payload.FromBytes("{\"id\":\"one\"}"u8.ToArray()), Ct);
        }
        await using var source = DriverFactory.Source(EtcdService.Registry, "etcd", Flags(
            ("etcd-retrieve-key", root), ("etcd-with-prefix", "true"), ("etcd-clear-op", "rm")));
        var item = await source.FetchAsync(TimeSpan.Zero, Ct);
        Assert.Equal(root + "one", item?.Key);
        Assert.Equal("{\"id\":\"one\"}", Encoding.UTF8.GetString(await item!.Payload.ReadAllBytesAsync(Ct)));
        await ((ILeasedSource)source).RenewLeaseAsync(item, Ct);
        await source.ClearAsync(item, Ct);
        Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
    }

    [Fact]
    public async Task Wrong_password_is_a_configuration_error_naming_the_password_setting_without_the_secret()
    {
        await using var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", Flags(("etcd-key", "k"), ("etcd-password", "not-the-password")));
        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Equal($"etcd at {Secure().Address} refused the credentials of user 'procx' (set -etcd-password or PUSHX_ETCD_PASSWORD)", error.Message);
    }

    [Fact]
    public async Task No_credentials_on_an_auth_enabled_etcd_names_the_username_setting()
    {
        var flags = Flags(("etcd-key", "k"));
        flags.Remove("etcd-username");
        flags.Remove("etcd-password");
        await using var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", flags);
        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Equal($"etcd at {Secure().Address} has auth enabled: set -etcd-username and -etcd-password (set -etcd-username or PUSHX_ETCD_USERNAME)", error.Message);
    }

    [Fact]
    public async Task Self_signed_certificate_without_the_ca_is_refused_naming_the_ca_setting()
    {
        var flags = Flags(("etcd-key", "k"));
        flags.Remove("etcd-tls-ca");
        await using var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", flags);
        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("-etcd-tls-ca", error.Message, StringComparison.Ordinal);

        flags["etcd-tls-insecure"] = "true"; // testing only: no verification at all
        await using var insecure = DriverFactory.Sink(EtcdService.Registry, "etcd", flags);
        await insecure.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct);
    }

    [Fact]
    public async Task Plain_http_to_the_tls_port_says_to_enable_tls()
    {
        var flags = Flags(("etcd-key", "k"));
        flags.Remove("etcd-tls-enable");
        await using var sink = DriverFactory.Sink(EtcdService.Registry, "etcd", flags);
        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        // Transient (retried): a port that closes at once may also be a server going down.
        Assert.Equal(FailureKind.Transient, error.Kind);
        Assert.Equal($"cannot reach etcd at {Secure().Address} (the connection closed without an answer: is it a TLS port (-etcd-tls-enable)?): check -etcd-hosts (PUSHX_ETCD_HOSTS)", error.Message);
    }
}
