using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;
using static Drivers.Conformance.ToolProcesses;
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

}
