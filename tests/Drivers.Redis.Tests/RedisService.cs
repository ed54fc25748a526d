using Drivers.Conformance;
using Drivers.Core.Registry;
using Drivers.Redis;
using StackExchange.Redis;
using Testcontainers.Redis;

namespace Drivers.Redis.Tests;

/// <summary>
/// The real redis-server the tests use: PROCX_TEST_REDIS (tests/services/redis.service.sh starts one), else a
/// Testcontainers Redis where Docker is available, else a visible skip (a failure under
/// PROCX_TEST_REQUIRE_SERVICES=1).
/// </summary>
internal static class RedisService
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static RedisContainer? _container;
    private static ConnectionMultiplexer? _client;

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddRedisDrivers();

    public static string Host { get; private set; } = "";

    public static int Port { get; private set; }

    /// <summary>Finds (or starts) the server and returns a client connected to it.</summary>
    public static async Task<ConnectionMultiplexer> ClientAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_client is null)
            {
                string address;
                string backend;
                if (Environment.GetEnvironmentVariable("PROCX_TEST_REDIS") is { Length: > 0 } fromEnv)
                {
                    address = fromEnv;
                    backend = $"redis-server at {fromEnv} (PROCX_TEST_REDIS)";
                }
                else if (TestServices.DockerAvailable)
                {
                    _container = new RedisBuilder("redis:7.0").Build();
                    await _container.StartAsync();
                    address = _container.GetConnectionString().Split(',')[0];
                    backend = $"Testcontainers redis:7.0 at {address}";
                }
                else
                {
                    address = TestServices.Require("PROCX_TEST_REDIS", "redis-server");
                    backend = address;
                }
                var colon = address.LastIndexOf(':');
                Host = address[..colon];
                Port = int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                _client = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions { EndPoints = { { Host, Port } }, AllowAdmin = true });
                Backend = backend;
            }
        }
        finally
        {
            Gate.Release();
        }
        TestServices.Announce("redis", Backend);
        return _client;
    }

    public static string Backend { get; private set; } = "";

    /// <summary>A key no other test uses.</summary>
    public static string NewKey(string kind) => $"procx-test:{kind}:{Guid.NewGuid():N}";

    /// <summary>The connection flags every driver takes, for this server.</summary>
    public static Dictionary<string, string> Flags(string key, params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string>
        {
            ["redis-host"] = Host,
            ["redis-port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["redis-key"] = key,
        };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    /// <summary>Deletes every key that starts with <paramref name="key"/>.</summary>
    public static async Task DeleteAsync(string key)
    {
        var client = await ClientAsync();
        var server = client.GetServer(client.GetEndPoints()[0]);
        var keys = new List<RedisKey> { key };
        await foreach (var k in server.KeysAsync(pattern: key + ":*"))
        {
            keys.Add(k);
        }
        await client.GetDatabase().KeyDeleteAsync([.. keys]);
    }
}
