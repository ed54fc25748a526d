using System.Globalization;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Mqtt.Tests;

/// <summary>
/// The TLS listener of tests/services/mqtt.service.sh (PROCX_TEST_MQTT_TLS, a certificate signed by the CA in
/// PROCX_TEST_MQTT_CA): pushx publishes over TLS and procx takes the message over TLS.
/// </summary>
public sealed class MqttTlsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (string Host, string Port, string Ca) Listener()
    {
        var address = Environment.GetEnvironmentVariable("PROCX_TEST_MQTT_TLS");
        var ca = Environment.GetEnvironmentVariable("PROCX_TEST_MQTT_CA");
        if (address is not { Length: > 0 } || ca is not { Length: > 0 })
        {
            var reason = "PROCX_TEST_MQTT_TLS/PROCX_TEST_MQTT_CA are not set (tests/services/start.sh mqtt sets them)";
            if (TestServices.RequireAll)
            {
                Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
            }
            Assert.Skip(reason);
        }
        var colon = address.LastIndexOf(':');
        return (address[..colon], address[(colon + 1)..], ca);
    }

    [Fact]
    public async Task Pushx_and_procx_over_tls_with_the_ca_file()
    {
        await MqttService.EnsureAsync();
        var (host, port, ca) = Listener();
        var topic = MqttService.NewTopic("tls");
        var clientId = MqttService.NewClientId();
        try
        {
            await MqttService.CreateSessionAsync(clientId, topic);
            var tls = new Dictionary<string, string>
            {
                ["mqtt-host"] = host, ["mqtt-port"] = port, ["mqtt-topic"] = topic,
                ["mqtt-enable-tls"] = "true", ["mqtt-tls-ca-file"] = ca,
            };
            await using (var sink = DriverFactory.Sink(MqttService.Registry, "mqtt", tls))
            {
                await sink.PushAsync(Payload.FromBytes("over tls"u8.ToArray()), Ct);
            }
            await using var source = DriverFactory.Source(MqttService.Registry, "mqtt", new Dictionary<string, string>(tls) { ["mqtt-client-id"] = clientId });
            await using var item = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct) ?? throw new Xunit.Sdk.XunitException("no message over TLS");
            Assert.Equal("over tls"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
            await source.ClearAsync(item, Ct);
        }
        finally
        {
            await MqttService.DeleteSessionAsync(clientId);
        }
    }

    [Fact]
    public async Task A_push_without_tls_to_the_tls_port_says_to_check_enable_tls()
    {
        await MqttService.EnsureAsync();
        var (host, port, _) = Listener();
        await using var sink = DriverFactory.Sink(MqttService.Registry, "mqtt", new Dictionary<string, string>
        {
            ["mqtt-host"] = host, ["mqtt-port"] = port, ["mqtt-topic"] = "t",
        });

        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));

        Assert.Equal(FailureKind.Transient, error.Kind);
        Assert.Contains("the port is open but the MQTT handshake failed: is it a TLS port (-mqtt-enable-tls)?", error.Message);
    }

    [Fact]
    public async Task A_certificate_the_ca_file_did_not_sign_is_a_configuration_error_naming_it()
    {
        await MqttService.EnsureAsync();
        var (host, port, _) = Listener();
        var otherCa = Path.Combine(Path.GetTempPath(), $"procx-mqtt-other-ca-{Guid.NewGuid():N}.pem");
        using (var key = System.Security.Cryptography.RSA.Create(2048))
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=not-the-ca", key,
                System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(otherCa, cert.ExportCertificatePem(), Ct);
        }
        try
        {
            await using var sink = DriverFactory.Sink(MqttService.Registry, "mqtt", new Dictionary<string, string>
            {
                ["mqtt-host"] = host, ["mqtt-port"] = port.ToString(CultureInfo.InvariantCulture), ["mqtt-topic"] = "t",
                ["mqtt-enable-tls"] = "true", ["mqtt-tls-ca-file"] = otherCa,
            });
            var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
            Assert.Equal(FailureKind.Configuration, error.Kind);
            Assert.Contains("-mqtt-tls-ca-file", error.Message);
        }
        finally
        {
            File.Delete(otherCa);
        }
    }
}
