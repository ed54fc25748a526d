using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using StackExchange.Redis;
using Xunit;

namespace Worker.FaultTests;

/// <summary>The shared redis-server (PROCX_TEST_REDIS), or one of our own that a test may kill and restart.</summary>
internal static class Redis
{
    public static (string Host, int Port) Shared()
    {
        var address = TestServices.Require("PROCX_TEST_REDIS", "redis-server");
        TestServices.Announce("redis", $"redis-server at {address}");
        var colon = address.LastIndexOf(':');
        return (address[..colon], int.Parse(address[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    public static IConnectionMultiplexer Connect(string host, int port) =>
        ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { { host, port } }, AbortOnConnectFail = false, ConnectTimeout = 5000 });

    public static string NewKey(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <summary>Env for a procx over redis-list KEY whose child is `pushx` into the list SINK.</summary>
    public static Dictionary<string, string> BridgeEnv(string host, int port, string key, string sink) => new()
    {
        ["PROCX_DRIVER"] = "redis-list",
        ["PROCX_REDIS_HOST"] = host,
        ["PROCX_REDIS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["PROCX_REDIS_KEY"] = key,
        ["PUSHX_DRIVER"] = "redis-list",
        ["PUSHX_REDIS_HOST"] = host,
        ["PUSHX_REDIS_PORT"] = port.ToString(CultureInfo.InvariantCulture),
        ["PUSHX_REDIS_KEY"] = sink,
        ["PUSHX"] = ToolRunner.Pushx,
    };
}

/// <summary>A redis-server of the test's own, with an append-only file so a restart keeps the data.</summary>
internal sealed class OwnRedisServer : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("procx-redis-").FullName;
    private Process? _process;

    public OwnRedisServer()
    {
        TestServices.Require("PROCX_TEST_REDIS", "redis-server"); // same binary the service script installs
        Port = FreePort();
        Start();
    }

    public int Port { get; }

    public void Start()
    {
        _process = Process.Start(new ProcessStartInfo("redis-server",
            ["--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--dir", _dir, "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--logfile", Path.Combine(_dir, "log")]) { UseShellExecute = false })!;
        using var redis = Redis.Connect("127.0.0.1", Port);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!redis.IsConnected || !TryPing(redis))
        {
            Assert.True(DateTime.UtcNow < deadline, "own redis-server did not start");
            Thread.Sleep(50);
        }
        TestServices.Announce("redis", $"own redis-server on 127.0.0.1:{Port} (append-only, restartable)");
    }

    /// <summary>SIGKILL: no goodbye; the append-only file (fsync always) keeps every acknowledged write.</summary>
    public void Kill()
    {
        _process?.Kill();
        _process?.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static bool TryPing(IConnectionMultiplexer redis)
    {
        try { redis.GetDatabase().Ping(); return true; } catch (RedisException) { return false; }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A fresh list KEY on the shared redis-server, filled with COUNT items, and an empty list SINK for a `procx pushx` bridge.</summary>
internal sealed class FilledQueue : IDisposable
{
    private FilledQueue(IConnectionMultiplexer redis, string key, string sink, List<string> items, Dictionary<string, string> env) =>
        (Redis, Key, Sink, Items, Env) = (redis, key, sink, items, env);

    public IConnectionMultiplexer Redis { get; }

    public IDatabase Db => Redis.GetDatabase();

    public string Key { get; }

    public string Sink { get; }

    public List<string> Items { get; }

    /// <summary>procx over KEY whose child `$PUSHX` pushes into SINK.</summary>
    public Dictionary<string, string> Env { get; }

    public static async Task<FilledQueue> CreateAsync(string prefix, int count)
    {
        var (host, port) = global::Worker.FaultTests.Redis.Shared();
        var redis = global::Worker.FaultTests.Redis.Connect(host, port);
        var (key, sink) = (global::Worker.FaultTests.Redis.NewKey(prefix), global::Worker.FaultTests.Redis.NewKey(prefix + "-sink"));
        var items = Enumerable.Range(1, count).Select(i => $"item-{i:D4}").ToList();
        if (count > 0)
        {
            await redis.GetDatabase().ListRightPushAsync(key, items.Select(i => (RedisValue)i).ToArray());
        }
        return new FilledQueue(redis, key, sink, items, global::Worker.FaultTests.Redis.BridgeEnv(host, port, key, sink));
    }

    public void Dispose() => Redis.Dispose();
}
