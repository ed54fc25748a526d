using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.RabbitMq;

/// <summary>
/// KEDA's <c>rabbitmq</c> scaler in QueueLength mode: one replica per <c>value</c> messages waiting in the
/// queue. The host (the AMQP URL, with its password) goes to KEDA as a secret, through the TriggerAuthentication.
/// </summary>
internal static class RabbitMqKeda
{
    public static KedaScaler Scaler { get; } = new("rabbitmq", input =>
    [
        new("protocol", "amqp"),
        new("queueName", input.Settings.GetRequiredString(RabbitMqSettings.Queue)),
        new("mode", "QueueLength"),
        new("value", input.Threshold.ToString(CultureInfo.InvariantCulture)),
    ])
    {
        Secrets = [new("host", RabbitMqSettings.Url)],
    };
}
