using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Mqtt.Tests;

/// <summary>Helpers for the tests that drive the published procx/pushx executables.</summary>
internal static class EndToEnd
{
    /// <summary>The env a tool needs to reach the test broker, under PROCX_ or PUSHX_.</summary>
    public static Dictionary<string, string> Env(string prefix, string topic, string? clientId = null, int? port = null)
    {
        var env = new Dictionary<string, string>
        {
            [$"{prefix}_DRIVER"] = "mqtt",
            [$"{prefix}_MQTT_HOST"] = MqttService.Host,
            [$"{prefix}_MQTT_PORT"] = (port ?? MqttService.Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{prefix}_MQTT_TOPIC"] = topic,
            ["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        if (clientId is not null)
        {
            env[$"{prefix}_MQTT_CLIENT_ID"] = clientId;
        }
        return env;
    }

    public static Dictionary<string, string> With(this Dictionary<string, string> env, Dictionary<string, string> more)
    {
        foreach (var (k, v) in more)
        {
            env[k] = v;
        }
        return env;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"timed out after {timeout.TotalSeconds:0}s waiting for {what}. {diagnostics?.Invoke()}");
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

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

    public static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    public static string RequireProgram(string program, string why)
    {
        if (Which(program) is { } path)
        {
            return path;
        }
        var reason = $"{program} is not on PATH ({why}); tests/services/start.sh mqtt installs it";
        if (TestServices.RequireAll)
        {
            Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
        }
        Assert.Skip(reason);
        return "";
    }
}
