using System.Globalization;
using Drivers.ActiveMq.Stomp;
using Drivers.Conformance;
using Drivers.Core.Registry;

namespace Drivers.ActiveMq.Tests;

/// <summary>
/// A real STOMP broker for the tests: ActiveMQ at PROCX_TEST_ACTIVEMQ (tests/services/activemq.service.sh
/// starts ActiveMQ 5.17), or RabbitMQ's STOMP plugin at PROCX_TEST_RABBITMQ_STOMP (started by the rabbitmq
/// service), else a visible skip (a failure under PROCX_TEST_REQUIRE_SERVICES=1). There is no Testcontainers
/// module for ActiveMQ here. The harness talks to the broker with the driver's STOMP layer (Stomp/*: frames,
/// SUBSCRIBE, SEND), not with the driver itself: no STOMP client library is served to this project, and the
/// driver's own logic (ACK after success, UNSUBSCRIBE to hand back, the destination rule) stays under test.
/// </summary>
internal sealed class StompBroker
{
    public static StompBroker ActiveMq { get; } = new("activemq", "PROCX_TEST_ACTIVEMQ", "ActiveMQ 5.17 STOMP");

    public static StompBroker RabbitMq { get; } = new("rabbitmq-stomp", "PROCX_TEST_RABBITMQ_STOMP", "RabbitMQ STOMP plugin");

    private readonly string _service;
    private readonly string _envVar;
    private readonly string _what;

    private StompBroker(string service, string envVar, string what)
    {
        _service = service;
        _envVar = envVar;
        _what = what;
    }

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddActiveMqDrivers();

    public bool IsRabbit => _service == "rabbitmq-stomp";

    /// <summary>host:port, or a skip naming the env var.</summary>
    public string Address
    {
        get
        {
            var address = TestServices.Require(_envVar, _what);
            TestServices.Announce(_service, $"{_what} at {address} ({_envVar})");
            return address;
        }
    }

    public string User => IsRabbit ? "guest" : "";

    public string Password => IsRabbit ? "guest" : "";

    public static string NewName(string kind) => $"procx-test.{kind}.{Guid.NewGuid():N}";

    /// <summary>The driver's flags for this broker and queue.</summary>
    public Dictionary<string, string> Flags(string name, params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["activemq-address"] = Address, ["activemq-name"] = name };
        if (IsRabbit)
        {
            flags["activemq-user"] = User;
            flags["activemq-password"] = Password;
        }
        foreach (var (key, value) in more)
        {
            flags[key] = value;
        }
        return flags;
    }

    /// <summary>The same as env vars under PROCX_ or PUSHX_.</summary>
    public Dictionary<string, string> Env(string prefix, string name)
    {
        var env = new Dictionary<string, string>
        {
            [$"{prefix}_DRIVER"] = "activemq",
            [$"{prefix}_ACTIVEMQ_ADDRESS"] = Address,
            [$"{prefix}_ACTIVEMQ_NAME"] = name,
            ["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        if (IsRabbit)
        {
            env[$"{prefix}_ACTIVEMQ_USER"] = User;
            env[$"{prefix}_ACTIVEMQ_PASSWORD"] = Password;
        }
        return env;
    }

    public async Task<StompConnection> ConnectAsync()
    {
        var address = Address;
        var colon = address.LastIndexOf(':');
        return await StompConnection.OpenAsync(new StompOptions(address[..colon], int.Parse(address[(colon + 1)..], CultureInfo.InvariantCulture))
        {
            Login = IsRabbit ? User : null,
            Passcode = IsRabbit ? Password : null,
        }, CancellationToken.None);
    }

    /// <summary>SENDs persistent messages with the STOMP layer, each confirmed by a RECEIPT.</summary>
    public async Task SendAsync(string destination, params byte[][] payloads)
    {
        await using var connection = await ConnectAsync();
        foreach (var payload in payloads)
        {
            var frame = new StompFrame("SEND", [new("destination", destination), new("persistent", "true")], payload);
            if (IsRabbit)
            {
                frame.With("amqp-message-id", Guid.NewGuid().ToString("N")); // as pushx does there: an id that survives redelivery
            }
            await connection.SendWithReceiptAsync(frame, CancellationToken.None);
        }
        await connection.DisconnectAsync(TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Every message the broker hands out on <paramref name="destination"/> until none has come for
    /// <paramref name="quiet"/>. With <paramref name="consume"/> they are ACKed (removed), else handed back.
    /// </summary>
    public async Task<IReadOnlyList<StompFrame>> ReadAllAsync(string destination, bool consume, TimeSpan? quiet = null)
    {
        await using var connection = await ConnectAsync();
        var subscription = await connection.SubscribeAsync(destination, [new("ack", "client-individual"), new("activemq.prefetchSize", "1000"), new("prefetch-count", "1000")], CancellationToken.None);
        var messages = new List<StompFrame>();
        while (await subscription.ReceiveAsync(quiet ?? TimeSpan.FromSeconds(1), CancellationToken.None) is { } message)
        {
            messages.Add(message);
            if (consume)
            {
                await connection.SendWithReceiptAsync(new StompFrame("ACK", [new("id", message["ack"]!)]), CancellationToken.None);
            }
        }
        await connection.DisconnectAsync(TimeSpan.FromSeconds(5));
        return messages;
    }

    /// <summary>Empties a queue (test clean-up).</summary>
    public Task PurgeAsync(string destination) => ReadAllAsync(destination, consume: true, TimeSpan.FromMilliseconds(300));
}
