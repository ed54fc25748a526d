using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using static Drivers.Conformance.ToolProcesses;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>Helpers for the end-to-end tests that drive the published procx/pushx executables.</summary>
internal static class EndToEnd
{
    /// <summary>The env a tool needs to reach the test server, under PROCX_ or PUSHX_.</summary>
    public static Dictionary<string, string> Env(string prefix, string driver, string key, string? host = null, int? port = null) => new()
    {
        [$"{prefix}_DRIVER"] = driver,
        [$"{prefix}_REDIS_HOST"] = host ?? RedisService.Host,
        [$"{prefix}_REDIS_PORT"] = (port ?? RedisService.Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
        [$"{prefix}_REDIS_KEY"] = key,
        // `procx pushx`: the child is found on PATH.
        ["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH"),
    };

    /// <summary>
    /// A redis-server of the test's own on a free port, in a temporary folder, once it answers PING; stopped and
    /// its folder removed on dispose. For a test that watches or disturbs every connection of its server.
    /// </summary>
    public static async Task<OwnRedisServer> StartOwnRedisServerAsync(string why)
    {
        var redisServer = RequireProgram("redis-server", why, "redis");
        _ = await RedisService.ClientAsync(); // announces the backend of the other tests; this one runs its own server
        var port = FreePort();
        var dir = Directory.CreateTempSubdirectory("procx-redis-own-").FullName;
        return new OwnRedisServer(port, dir, await StartRedisServerAsync(redisServer, port, dir));
    }

    public sealed class OwnRedisServer(int port, string dir, Process server) : IDisposable
    {
        public int Port => port;

        public void Dispose()
        {
            Stop(server);
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A redis-server of the test's own on <paramref name="port"/>, in <paramref name="dir"/>, once it answers PING.</summary>
    public static async Task<Process> StartRedisServerAsync(string redisServer, int port, string dir)
    {
        var server = ToolRunner.Start(redisServer, ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", dir, "--save", "", "--appendonly", "no"]);
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        await ToolProcesses.WaitUntilAsync(async () =>
        {
            try
            {
                await using var c = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=500");
                return (await c.GetDatabase().PingAsync()) >= TimeSpan.Zero;
            }
            catch (RedisConnectionException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), $"redis-server on port {port}");
        return server;
    }
}
