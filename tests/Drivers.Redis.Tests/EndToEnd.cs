using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
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

    public static Dictionary<string, string> With(this Dictionary<string, string> env, Dictionary<string, string> more)
    {
        foreach (var (k, v) in more)
        {
            env[k] = v;
        }
        return env;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> at the deadline.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0}s waiting for {what}. {diagnostics?.Invoke()}");
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Collects a running tool's stderr for failure messages.</summary>
    public static Func<string> CaptureStderr(Process process)
    {
        var buffer = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (buffer)
            {
                buffer.AppendLine(e.Data);
            }
        };
        process.BeginErrorReadLine();
        return () =>
        {
            lock (buffer)
            {
                return "stderr: " + buffer;
            }
        };
    }

    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

    /// <summary>A program the test needs: its path, or a skip (a failure under PROCX_TEST_REQUIRE_SERVICES=1).</summary>
    public static string RequireProgram(string program, string why)
    {
        if (Which(program) is { } path)
        {
            return path;
        }
        var reason = $"{program} is not on PATH ({why}); tests/services/start.sh redis installs it";
        if (TestServices.RequireAll)
        {
            Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
        }
        Assert.Skip(reason);
        return "";
    }
}
