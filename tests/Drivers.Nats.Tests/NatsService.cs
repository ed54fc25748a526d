using System.Globalization;
using Drivers.Conformance;
using Drivers.Core.Registry;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Drivers.Nats.Tests;

/// <summary>
/// The real nats-server (with JetStream) the tests use: PROCX_TEST_NATS (tests/services/nats.service.sh starts
/// one, its monitoring endpoint in PROCX_TEST_NATS_MONITOR), else the nats:2.10 image with Testcontainers where
/// Docker runs, else a visible skip (a failure under PROCX_TEST_REQUIRE_SERVICES=1).
/// </summary>
internal static class NatsService
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static IContainer? _container;
    private static NatsConnection? _client;

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddNatsDrivers();

    /// <summary>nats://host:port of the server.</summary>
    public static string Url { get; private set; } = "";

    /// <summary>host:port of the HTTP monitoring endpoint.</summary>
    public static string Monitor { get; private set; } = "";

    public static string Backend { get; private set; } = "";

    /// <summary>Finds (or starts) the server and returns a client connected to it.</summary>
    public static async Task<NatsConnection> ClientAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_client is null)
            {
                if (Environment.GetEnvironmentVariable("PROCX_TEST_NATS") is { Length: > 0 } fromEnv)
                {
                    Url = "nats://" + fromEnv;
                    Monitor = Environment.GetEnvironmentVariable("PROCX_TEST_NATS_MONITOR") ?? "";
                    Backend = $"nats-server at {fromEnv} (PROCX_TEST_NATS)";
                }
                else if (TestServices.DockerAvailable)
                {
                    _container = new ContainerBuilder("nats:2.10")
                        .WithCommand("-js", "-m", "8222")
                        .WithPortBinding(4222, true)
                        .WithPortBinding(8222, true)
                        .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(4222))
                        .Build();
                    await _container.StartAsync();
                    Url = $"nats://{_container.Hostname}:{_container.GetMappedPublicPort(4222)}";
                    Monitor = $"{_container.Hostname}:{_container.GetMappedPublicPort(8222)}";
                    Backend = $"Testcontainers nats:2.10 at {Url}";
                }
                else
                {
                    Url = "nats://" + TestServices.Require("PROCX_TEST_NATS", "nats-server");
                }
                var client = new NatsConnection(NatsOpts.Default with { Url = Url, Name = "procx-tests" });
                await client.ConnectAsync();
                _client = client;
            }
        }
        finally
        {
            Gate.Release();
        }
        TestServices.Announce("nats", Backend);
        return _client;
    }

    public static async Task<NatsJSContext> JetStreamAsync() => new(await ClientAsync());

    /// <summary>A name no other test uses (stream names allow no dots).</summary>
    public static string NewName(string kind) => $"procx_{kind}_{Guid.NewGuid():N}"[..40];

    /// <summary>A stream capturing <c>NAME.&gt;</c>; returns the subject to publish on.</summary>
    public static async Task<string> CreateStreamAsync(string stream, StreamConfigRetention retention = StreamConfigRetention.Limits)
    {
        var js = await JetStreamAsync();
        await js.CreateStreamAsync(new StreamConfig(stream, [stream + ".>"]) { Retention = retention, Storage = StreamConfigStorage.Memory });
        return stream + ".jobs";
    }

    public static async Task DeleteStreamAsync(string stream)
    {
        try
        {
            await (await JetStreamAsync()).DeleteStreamAsync(stream);
        }
        catch (NatsJSApiException)
        {
            // gone already
        }
    }

    /// <summary>The connection flags every test passes, plus <paramref name="more"/>.</summary>
    public static Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["nats-url"] = Url };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    public static string Seconds(double s) => s.ToString(CultureInfo.InvariantCulture) + "s";
}
