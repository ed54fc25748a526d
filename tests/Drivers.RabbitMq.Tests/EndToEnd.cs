using System.Diagnostics;
using Drivers.Conformance;
using static Drivers.Conformance.ToolProcesses;
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

}
