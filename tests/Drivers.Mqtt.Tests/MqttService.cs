using System.Globalization;
using Drivers.Conformance;
using Drivers.Core.Registry;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using MQTTnet;
using MQTTnet.Protocol;

namespace Drivers.Mqtt.Tests;

/// <summary>
/// The real Mosquitto the tests use: PROCX_TEST_MQTT (tests/services/mqtt.service.sh starts one), else a
/// Testcontainers eclipse-mosquitto:2.0 where Docker is available, else a visible skip (a failure under
/// PROCX_TEST_REQUIRE_SERVICES=1). The other clients here (publishers, session readers) are plain MQTTnet
/// clients, not the driver.
/// </summary>
internal static class MqttService
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly MqttClientFactory Factory = new();
    private static IContainer? _container;

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddMqttDrivers();

    public static string Host { get; private set; } = "";

    public static int Port { get; private set; }

    public static string PortText => Port.ToString(CultureInfo.InvariantCulture);

    public static string Backend { get; private set; } = "";

    public static async Task EnsureAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (Port == 0)
            {
                string address;
                if (Environment.GetEnvironmentVariable("PROCX_TEST_MQTT") is { Length: > 0 } fromEnv)
                {
                    address = fromEnv;
                    Backend = $"mosquitto at {fromEnv} (PROCX_TEST_MQTT)";
                }
                else if (TestServices.DockerAvailable)
                {
                    _container = new ContainerBuilder("eclipse-mosquitto:2.0")
                        .WithCommand("mosquitto", "-c", "/mosquitto-no-auth.conf")
                        .WithPortBinding(1883, true)
                        .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(1883))
                        .Build();
                    await _container.StartAsync();
                    address = $"{_container.Hostname}:{_container.GetMappedPublicPort(1883)}";
                    Backend = $"Testcontainers eclipse-mosquitto:2.0 at {address}";
                }
                else
                {
                    address = TestServices.Require("PROCX_TEST_MQTT", "mosquitto");
                    Backend = address;
                }
                var colon = address.LastIndexOf(':');
                Host = address[..colon];
                Port = int.Parse(address[(colon + 1)..], CultureInfo.InvariantCulture);
            }
        }
        finally
        {
            Gate.Release();
        }
        TestServices.Announce("mqtt", Backend);
    }

    public static string NewTopic(string kind) => $"procx-test/{kind}/{Guid.NewGuid():N}";

    public static string NewClientId() => "t" + Guid.NewGuid().ToString("N")[..20];

    /// <summary>The flags every procx/pushx test takes, for this server.</summary>
    public static Dictionary<string, string> Flags(string topic, params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["mqtt-host"] = Host, ["mqtt-port"] = PortText, ["mqtt-topic"] = topic };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    public static async Task<IMqttClient> ConnectAsync(string clientId, bool persistent, string? host = null, int? port = null)
    {
        var client = Factory.CreateMqttClient();
        var options = new MqttClientOptionsBuilder().WithTcpServer(host ?? Host, port ?? Port).WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(!persistent)
            .WithSessionExpiryInterval(persistent ? uint.MaxValue : 0).Build();
        await client.ConnectAsync(options, CancellationToken.None);
        return client;
    }

    /// <summary>Creates the persistent QoS 1 session procx will use, so the broker queues what is published from now on.</summary>
    public static async Task CreateSessionAsync(string clientId, string filter, string? host = null, int? port = null)
    {
        using var client = await ConnectAsync(clientId, persistent: true, host, port);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await client.DisconnectAsync();
    }

    /// <summary>Ends a session and drops what it queued.</summary>
    public static async Task DeleteSessionAsync(string clientId)
    {
        using var client = await ConnectAsync(clientId, persistent: false);
        await client.DisconnectAsync();
    }

    public static async Task PublishAsync(string topic, IEnumerable<byte[]> payloads, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce, string? host = null, int? port = null)
    {
        using var client = await ConnectAsync(NewClientId(), persistent: false, host, port);
        foreach (var payload in payloads)
        {
            var result = await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build());
            if (!result.IsSuccess && result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
            {
                throw new InvalidOperationException($"publish failed: {result.ReasonCode}");
            }
        }
        await client.DisconnectAsync();
    }

    public static Task PublishAsync(string topic, byte[] payload) => PublishAsync(topic, [payload]);

    /// <summary>
    /// Everything the session of <paramref name="clientId"/> would deliver now (sent again or queued), read
    /// without acknowledging any of it, so the session keeps it all: collects until nothing came for <paramref name="quiet"/>.
    /// </summary>
    public static async Task<IReadOnlyList<(byte[] Payload, bool Dup)>> PeekSessionAsync(string clientId, TimeSpan? quiet = null)
    {
        var received = new List<(byte[], bool)>();
        var last = DateTime.UtcNow;
        var client = Factory.CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            e.AutoAcknowledge = false;
            lock (received)
            {
                received.Add((System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload), e.ApplicationMessage.Dup));
                last = DateTime.UtcNow;
            }
            return Task.CompletedTask;
        };
        var options = new MqttClientOptionsBuilder().WithTcpServer(Host, Port).WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithCleanStart(false)
            .WithSessionExpiryInterval(uint.MaxValue).WithReceiveMaximum(1000).Build();
        await client.ConnectAsync(options, CancellationToken.None);
        var wait = quiet ?? TimeSpan.FromMilliseconds(700);
        while (true)
        {
            await Task.Delay(100);
            lock (received)
            {
                if (DateTime.UtcNow - last > wait)
                {
                    break;
                }
            }
        }
        await client.DisconnectAsync();
        client.Dispose();
        lock (received)
        {
            return received.ToList();
        }
    }
}
