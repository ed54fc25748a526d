using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Drivers.Conformance;

/// <summary>What every driver's end-to-end tests need around the published tools: env, polls, stderr, ports, programs.</summary>
public static class ToolProcesses
{
    /// <summary>Adds <paramref name="more"/> to <paramref name="env"/> (replacing what is there) and returns it.</summary>
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

    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnostics = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, what, diagnostics);

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

    /// <summary>Kills the process and its children if it still runs, and disposes it.</summary>
    public static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
    }

    /// <summary>A loopback port nothing listens on (for now).</summary>
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
    public static string RequireProgram(string program, string why, string service)
    {
        if (Which(program) is { } path)
        {
            return path;
        }
        var reason = $"{program} is not on PATH ({why}); tests/services/start.sh {service} installs it";
        if (TestServices.RequireAll)
        {
            Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
        }
        Assert.Skip(reason);
        return "";
    }
}
