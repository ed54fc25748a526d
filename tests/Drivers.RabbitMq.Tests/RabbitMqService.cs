using System.Globalization;
using Drivers.Conformance;
using Drivers.Core.Registry;
using RabbitMQ.Client;
using Testcontainers.RabbitMq;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>
/// The real RabbitMQ broker the tests use: PROCX_TEST_RABBITMQ=host:port (tests/services/rabbitmq.service.sh
/// starts one, with guest/guest), else a Testcontainers rabbitmq:3.10 where Docker is available, else a visible
/// skip (a failure under PROCX_TEST_REQUIRE_SERVICES=1). The tests read and write queues with RabbitMQ.Client
/// directly, never through the driver under test.
/// </summary>
internal static class RabbitMqService
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RabbitMqContainer? _container;
    private static IConnection? _connection;

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddRabbitMqDrivers();

    public static string Url { get; private set; } = "";

    public static string Backend { get; private set; } = "";

    /// <summary>A connection of the tests' own (not the driver's).</summary>
    public static async Task<IConnection> ConnectionAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (Url.Length == 0)
                {
                    if (Environment.GetEnvironmentVariable("PROCX_TEST_RABBITMQ") is { Length: > 0 } address)
                    {
                        Url = $"amqp://guest:guest@{address}/";
                        Backend = $"rabbitmq-server at {address} (PROCX_TEST_RABBITMQ)";
                    }
                    else if (TestServices.DockerAvailable)
                    {
                        _container = new RabbitMqBuilder("rabbitmq:3.10").WithUsername("guest").WithPassword("guest").Build();
                        await _container.StartAsync();
                        Url = _container.GetConnectionString();
                        Backend = $"Testcontainers rabbitmq:3.10 at {Url}";
                    }
                    else
                    {
                        TestServices.Require("PROCX_TEST_RABBITMQ", "rabbitmq-server");
                    }
                }
                _connection = await new ConnectionFactory { Uri = new Uri(Url), ClientProvidedName = "procx-tests" }.CreateConnectionAsync();
            }
        }
        finally
        {
            Gate.Release();
        }
        TestServices.Announce("rabbitmq", Backend);
        return _connection;
    }

    /// <summary>A queue name no other test uses.</summary>
    public static string NewQueue(string kind) => $"procx-test.{kind}.{Guid.NewGuid():N}";

    /// <summary>The driver's flags for this broker and <paramref name="queue"/>.</summary>
    public static Dictionary<string, string> Flags(string? queue, params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["rabbitmq-url"] = Url };
        if (queue is not null)
        {
            flags["rabbitmq-queue"] = queue;
        }
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    /// <summary>Declares <paramref name="queue"/> as the driver does by default (durable classic, no arguments).</summary>
    public static async Task DeclareAsync(string queue, IDictionary<string, object?>? arguments = null)
    {
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments);
    }

    /// <summary>Publishes persistent messages to <paramref name="queue"/> through the default exchange, confirmed.</summary>
    public static async Task PublishAsync(string queue, params IEnumerable<byte[]> bodies)
    {
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync(new CreateChannelOptions(true, true));
        foreach (var body in bodies)
        {
            await channel.BasicPublishAsync("", queue, mandatory: true, new BasicProperties { Persistent = true }, body);
        }
    }

    /// <summary>Messages ready in the queue (not those held unacked by a consumer).</summary>
    public static async Task<uint> ReadyAsync(string queue)
    {
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
    }

    /// <summary>
    /// The bodies ready in the queue, left in it: taken with basic.get and nacked back. A message the broker is
    /// still requeueing (a channel that just closed) may be missed by one look, so it looks until two agree.
    /// </summary>
    public static async Task<IReadOnlyList<byte[]>> PeekAsync(string queue)
    {
        var last = await PeekOnceAsync(queue);
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(100);
            var again = await PeekOnceAsync(queue);
            if (again.Count == last.Count)
            {
                return again;
            }
            last = again;
        }
        return last;
    }

    private static async Task<List<byte[]>> PeekOnceAsync(string queue)
    {
        var bodies = new List<byte[]>();
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
        ulong lastTag = 0;
        while (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
        {
            bodies.Add(result.Body.ToArray());
            lastTag = result.DeliveryTag;
        }
        if (lastTag > 0)
        {
            await channel.BasicNackAsync(lastTag, multiple: true, requeue: true);
        }
        return bodies;
    }

    /// <summary>Takes every ready message out of the queue for good (acked).</summary>
    public static async Task<List<byte[]>> TakeAllAsync(string queue)
    {
        var bodies = new List<byte[]>();
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
        while (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
        {
            bodies.Add(result.Body.ToArray());
        }
        return bodies;
    }

    public static async Task DeleteAsync(params string[] queues)
    {
        await using var channel = await (await ConnectionAsync()).CreateChannelAsync();
        foreach (var queue in queues)
        {
            await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
        }
    }

    /// <summary>host:port of the AMQPS listener and the CA that signed it, or a skip (tests/services/rabbitmq.service.sh makes both).</summary>
    public static (string Url, string CaFile) Tls()
    {
        var address = TestServices.Require("PROCX_TEST_RABBITMQ_TLS", "rabbitmq AMQPS listener");
        var ca = TestServices.Require("PROCX_TEST_RABBITMQ_CA", "the CA certificate of the rabbitmq AMQPS listener");
        var port = address[(address.LastIndexOf(':') + 1)..];
        // The certificate names localhost and 127.0.0.1.
        return ($"amqps://guest:guest@localhost:{port}/", ca);
    }

    /// <summary>Runs rabbitmqctl against the test broker (stop_app / start_app restart it).</summary>
    public static async Task CtlAsync(params string[] args)
    {
        var ctl = TestServices.Require("PROCX_TEST_RABBITMQ_CTL", "rabbitmqctl for the test broker (this test restarts it)");
        var result = await ToolRunner.RunAsync(ctl, args, timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"rabbitmqctl {string.Join(' ', args)}: {result}");
    }

    public static string Port(string url) => new Uri(url).Port.ToString(CultureInfo.InvariantCulture);
}
