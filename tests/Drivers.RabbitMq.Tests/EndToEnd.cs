using System.Diagnostics;
using Drivers.Conformance;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>Helpers for the tests that drive the published procx/pushx executables.</summary>
internal static class EndToEnd
{
    /// <summary>The env a tool needs to reach the test broker, under PROCX_ or PUSHX_, as the originals name it.</summary>
    public static Dictionary<string, string> Env(string prefix, string queue, string? url = null) => new()
    {
        [$"{prefix}_DRIVER"] = "rabbitmq",
        [$"{prefix}_RABBITMQ_URL"] = url ?? RabbitMqService.Url,
        [$"{prefix}_RABBITMQ_QUEUE"] = queue,
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
}
