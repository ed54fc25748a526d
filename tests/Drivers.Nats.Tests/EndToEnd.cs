using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using static Drivers.Conformance.ToolProcesses;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>Helpers for the tests that drive the published procx/pushx executables and servers of their own.</summary>
internal static class EndToEnd
{
    /// <summary>The env a tool needs to reach <paramref name="url"/>, under PROCX_ or PUSHX_.</summary>
    public static Dictionary<string, string> Env(string prefix, string url, params (string Name, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            [$"{prefix}_DRIVER"] = "nats",
            [$"{prefix}_NATS_URL"] = url,
            ["PATH"] = ToolRunner.BinDir + ":" + Environment.GetEnvironmentVariable("PATH"),
        };
        foreach (var (name, value) in more)
        {
            env[$"{prefix}_{name}"] = value;
        }
        return env;
    }

    /// <summary>nats-server: NATS_SERVER_BIN, else on PATH, else a skip (a failure under PROCX_TEST_REQUIRE_SERVICES=1).</summary>
    public static string NatsServer()
    {
        if (Environment.GetEnvironmentVariable("NATS_SERVER_BIN") is { Length: > 0 } bin && File.Exists(bin))
        {
            return bin;
        }
        if ((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "nats-server")).FirstOrDefault(File.Exists) is { } found)
        {
            return found;
        }
        const string reason = "nats-server is not installed (tests/services/start.sh nats installs it): this test runs a server of its own";
        if (TestServices.RequireAll)
        {
            Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
        }
        Assert.Skip(reason);
        return "";
    }

    /// <summary>Starts a nats-server of the test's own with <paramref name="args"/> and waits until its port answers.</summary>
    public static async Task<Process> StartServerAsync(int port, params string[] args)
    {
        var server = ToolRunner.Start(NatsServer(), ["-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), .. args]);
        server.BeginOutputReadLine();
        var stderr = CaptureStderr(server);
        await WaitUntilAsync(async () =>
        {
            if (server.HasExited)
            {
                Assert.Fail($"nats-server exited with {server.ExitCode}: {stderr()}");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), $"nats-server on port {port}", stderr);
        return server;
    }
}
