using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.ActiveMq;

/// <summary>
/// KEDA's <c>activemq</c> scaler: it reads the queue's size from ActiveMQ's web console (Jolokia) at
/// <c>-activemq-management-endpoint</c>, not over STOMP, with the console's user and password from the
/// TriggerAuthentication.
/// </summary>
internal static class ActiveMqKeda
{
    public static KedaScaler Queue { get; } = new("activemq", input =>
    [
        new("managementEndpoint", input.Settings.GetRequiredString(ActiveMqSettings.ManagementEndpoint)),
        new("destinationName", DestinationName(input.Settings.GetRequiredString(ActiveMqSettings.Name))),
        new("brokerName", input.Settings.GetString(ActiveMqSettings.BrokerName) is { Length: > 0 } broker ? broker : "localhost"),
        new("targetQueueSize", input.Threshold.ToString(CultureInfo.InvariantCulture)),
    ])
    {
        Secrets = [new("username", ActiveMqSettings.ManagementUser), new("password", ActiveMqSettings.ManagementPassword)],
    };

    /// <summary>The queue's own name, as Jolokia knows it: <c>/queue/jobs</c> and <c>jobs</c> are both <c>jobs</c>.</summary>
    internal static string DestinationName(string name) =>
        name.StartsWith("/queue/", StringComparison.Ordinal) ? name["/queue/".Length..]
        : name.StartsWith("/topic/", StringComparison.Ordinal) ? name["/topic/".Length..]
        : name;
}
