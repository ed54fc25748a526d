using System.Net;
using System.Net.Sockets;
using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.ActiveMq.Tests;

/// <summary>What the activemq driver does beyond the shared suite, against the real ActiveMQ.</summary>
public sealed class ActiveMqBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StompBroker Broker => StompBroker.ActiveMq;

    [Fact]
    public async Task Dead_letter_moves_a_byte_exact_copy_and_removes_the_original()
    {
        var name = StompBroker.NewName("dlq-src");
        var dlq = StompBroker.NewName("dlq");
        var payload = new byte[] { 0, 1, 2, 0xff, 0, (byte)'x' };
        try
        {
            await Broker.SendAsync("/queue/" + name, payload);
            await using (var source = DriverFactory.Source(StompBroker.Registry, "activemq", Broker.Flags(name, ("activemq-dead-letter-name", dlq))))
            {
                await using var item = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct) ?? throw new InvalidOperationException("no message");
                await ((IDeadLetterSource)source).DeadLetterAsync(item, Ct);
            }
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
            var dead = Assert.Single(await Broker.ReadAllAsync("/queue/" + dlq, consume: true));
            Assert.Equal(payload, dead.Body.ToArray());
            Assert.Equal("/queue/" + name, dead["procx-original-destination"]);
            Assert.False(string.IsNullOrEmpty(dead["procx-original-message-id"]));
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
            await Broker.PurgeAsync("/queue/" + dlq);
        }
    }

    [Fact]
    public async Task Failed_message_comes_back_at_once_not_to_the_dlq()
    {
        // The point of handing back with UNSUBSCRIBE: ActiveMQ 5.17 sends a NACKed persistent message to ActiveMQ.DLQ.
        var name = StompBroker.NewName("fail");
        try
        {
            await Broker.SendAsync("/queue/" + name, "once"u8.ToArray());
            await using var source = DriverFactory.Source(StompBroker.Registry, "activemq", Broker.Flags(name));
            await using (var first = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct) ?? throw new InvalidOperationException("no message"))
            {
                await source.FailAsync(first, Ct);
            }
            await using var again = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct);
            Assert.NotNull(again);
            Assert.Equal("once"u8.ToArray(), await again.Payload.ReadAllBytesAsync(Ct));
            Assert.Equal("true", again.TemplateData?.Resolve("redelivered", out _)?.ToString());
            await source.ClearAsync(again, Ct);
            Assert.Empty(await Broker.ReadAllAsync("/queue/" + name, consume: false));
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Topic_messages_reach_a_subscribed_procx()
    {
        var name = StompBroker.NewName("topic");
        await using var source = DriverFactory.Source(StompBroker.Registry, "activemq", Broker.Flags(name, ("activemq-type", "topic")));
        await using var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", Broker.Flags(name, ("activemq-type", "topic")));
        // A topic keeps nothing for absent subscribers: publish until the fetch (subscribing) sees one.
        var fetch = source.FetchAsync(TimeSpan.FromSeconds(10), Ct);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!fetch.IsCompleted && DateTime.UtcNow < deadline)
        {
            await sink.PushAsync(Payload.FromBytes("event"u8.ToArray()), Ct);
            await Task.WhenAny(fetch, Task.Delay(100, Ct));
        }
        await using var item = await fetch;
        Assert.NotNull(item);
        Assert.Equal("event"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
        Assert.Equal("/topic/" + name, item.Key);
        await source.ClearAsync(item, Ct);
    }

    [Fact]
    public async Task Refused_port_is_transient_and_names_the_address_flag()
    {
        var port = FreePort();
        await using var source = DriverFactory.Source(StompBroker.Registry, "activemq", new Dictionary<string, string>
        {
            ["activemq-address"] = $"127.0.0.1:{port}",
            ["activemq-name"] = "q",
        });
        var e = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Equal($"cannot reach the STOMP broker at 127.0.0.1:{port} (connection refused): check -activemq-address (PROCX_ACTIVEMQ_ADDRESS)", e.Message);
    }

    [Fact]
    public async Task Tls_with_the_ca_file_round_trips()
    {
        var (address, ca) = Tls();
        var name = StompBroker.NewName("tls");
        var flags = new Dictionary<string, string>
        {
            ["activemq-address"] = address,
            ["activemq-name"] = name,
            ["activemq-enable-tls"] = "true",
            ["activemq-tls-ca-file"] = ca,
        };
        try
        {
            await using (var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", flags))
            {
                await sink.PushAsync(Payload.FromBytes("over tls"u8.ToArray()), Ct);
            }
            await using var source = DriverFactory.Source(StompBroker.Registry, "activemq", flags);
            await using var item = await source.FetchAsync(TimeSpan.FromSeconds(5), Ct);
            Assert.NotNull(item);
            Assert.Equal("over tls"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
            await source.ClearAsync(item, Ct);
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Tls_without_trusting_the_broker_is_a_configuration_error()
    {
        var (address, _) = Tls();
        await using var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", new Dictionary<string, string>
        {
            ["activemq-address"] = address,
            ["activemq-name"] = "q",
            ["activemq-enable-tls"] = "true",
        });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.StartsWith($"the TLS handshake with {address} failed", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("(set -activemq-tls-ca-file or PUSHX_ACTIVEMQ_TLS_CA_FILE)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_insecure_skips_verification()
    {
        var (address, _) = Tls();
        await using var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", new Dictionary<string, string>
        {
            ["activemq-address"] = address,
            ["activemq-name"] = StompBroker.NewName("tls-insecure"),
            ["activemq-enable-tls"] = "true",
            ["activemq-tls-insecure"] = "true",
        });
        await sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct);
    }

    [Fact]
    public async Task Plain_stomp_on_the_tls_port_fails_with_a_hint_not_a_hang()
    {
        var (address, _) = Tls();
        await using var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", new Dictionary<string, string> { ["activemq-address"] = address, ["activemq-name"] = "q" });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Transient, e.Kind);
        Assert.Contains(address, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_and_clear_of_200_messages_in_process_each_once()
    {
        var name = StompBroker.NewName("rate");
        var sent = Enumerable.Range(1, 200).Select(i => $"p{i:D3}").ToList();
        try
        {
            await Broker.SendAsync("/queue/" + name, [.. sent.Select(Encoding.UTF8.GetBytes)]);
            await using var source = DriverFactory.Source(StompBroker.Registry, "activemq", Broker.Flags(name));
            var got = new List<string>();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await source.FetchAsync(TimeSpan.Zero, Ct) is { } item)
            {
                await using (item)
                {
                    got.Add(Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct)));
                    await source.ClearAsync(item, Ct);
                }
            }
            TestContext.Current.SendDiagnosticMessage($"[rate] activemq in process, fetch + clear one at a time: {got.Count} in {clock.Elapsed.TotalSeconds:0.00}s (the last 0.5 s is the empty wait)");
            Assert.Equal(sent, got.Order(StringComparer.Ordinal));
        }
        finally
        {
            await Broker.PurgeAsync("/queue/" + name);
        }
    }

    [Fact]
    public async Task Idle_connection_lives_on_heart_beats_both_ways()
    {
        var address = Broker.Address;
        var colon = address.LastIndexOf(':');
        await using var connection = await Stomp.StompConnection.OpenAsync(
            new Stomp.StompOptions(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)) { HeartBeat = TimeSpan.FromSeconds(1) }, Ct);
        // Twice the silence the connection allows (the 1 s period + 5 s) without a frame: only heart-beats kept it alive.
        Assert.Equal(TimeSpan.FromSeconds(6), connection.SilenceAllowed);
        await Task.Delay(2 * connection.SilenceAllowed, Ct);
        Assert.True(connection.IsOpen, $"the connection ended: {connection.Fault?.Message}");
        await connection.SendWithReceiptAsync(new Stomp.StompFrame("SEND", [new("destination", "/queue/" + StompBroker.NewName("hb")), new("persistent", "false")], "x"u8.ToArray()), Ct);
    }

    private static (string Address, string Ca) Tls()
    {
        var address = TestServices.Require("PROCX_TEST_ACTIVEMQ_TLS", "ActiveMQ's stomp+ssl connector");
        var ca = TestServices.Require("PROCX_TEST_ACTIVEMQ_CA", "the certificate of ActiveMQ's stomp+ssl connector");
        TestServices.Announce("activemq", $"ActiveMQ 5.17 stomp+ssl at {address} (PROCX_TEST_ACTIVEMQ_TLS)");
        return (address, ca);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// ERROR frames in answer to CONNECT, from a fake STOMP server on a local socket: the ActiveMQ here runs
/// without authentication, so a refused login is replayed with ActiveMQ's and RabbitMQ's own ERROR texts.
/// </summary>
public sealed class StompErrorFrameOnFakeServerTests
{
    [Theory]
    [InlineData("User name [bob] or password is invalid.", "", "activemq-password")]
    [InlineData("Access refused for user 'bob'", "Login or passcode was wrong", "activemq-password")]
    [InlineData("Bad CONNECT", "Virtual host '/nope' access denied", "activemq-vhost")]
    public async Task Refused_connect_is_a_configuration_error_naming_the_setting(string message, string body, string setting)
    {
        TestServices.AnnounceFake("activemq", "a TCP listener that answers CONNECT with an ERROR frame");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var serve = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(TestContext.Current.CancellationToken);
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var seen = new List<byte>();
            while (!seen.Contains(0))
            {
                var n = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
                if (n == 0)
                {
                    return;
                }
                seen.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            await stream.WriteAsync(Encoding.UTF8.GetBytes($"ERROR\nmessage:{message}\ncontent-type:text/plain\n\n{body}\0"), TestContext.Current.CancellationToken);
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }, TestContext.Current.CancellationToken);
        await using var sink = DriverFactory.Sink(StompBroker.Registry, "activemq", new Dictionary<string, string>
        {
            ["activemq-address"] = $"127.0.0.1:{port}",
            ["activemq-name"] = "q",
            ["activemq-user"] = "bob",
            ["activemq-password"] = "secret-password",
        });
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), TestContext.Current.CancellationToken));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.EndsWith($"(set -{setting} or PUSHX_{setting.ToUpperInvariant().Replace('-', '_')})", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password", e.Message, StringComparison.Ordinal);
        await serve;
    }
}
