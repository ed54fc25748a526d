using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using MQTTnet;

namespace Drivers.Mqtt;

/// <summary>
/// Publishes the input to <c>-mqtt-topic</c> with QoS <c>-mqtt-qos</c> (default 1) and <c>-mqtt-retain</c>, on a
/// clean session, and returns only once the broker acknowledged it (PUBACK for QoS 1, PUBCOMP for QoS 2), so
/// pushx exits 0 only for a message the broker took. A broker that says no subscriber matched (MQTT 5) is
/// logged as a warning: MQTT keeps a message only for the sessions subscribed when it arrives (and the last
/// retained one).
/// </summary>
internal sealed class MqttSink : ISinkDriver, IFailureTranslator
{
    private readonly MqttConnectionFactory _factory;
    private readonly ILog _log;
    private readonly int _qos;
    private readonly bool _retain;
    private readonly MqttPublisher _publisher;

    public MqttSink(DriverContext context)
    {
        _log = context.Log;
        _factory = new MqttConnectionFactory(context.Settings, _log);
        if (_factory.Topic.Contains('+') || _factory.Topic.Contains('#') || _factory.Topic.Length == 0)
        {
            throw context.Settings.Invalid(MqttSettings.Topic, $"'{_factory.Topic}' is a topic filter; pushx publishes to one topic, without + or #");
        }
        _qos = int.Parse(context.Settings.GetString(MqttSettings.Qos) ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        _retain = context.Settings.GetBool(MqttSettings.Retain);
        _publisher = new MqttPublisher(_factory, _factory.ConfiguredClientId ?? $"pushx-{Guid.NewGuid():N}"[..22]);
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var (code, text) = _publisher.Publish(_factory.Topic, bytes, _qos, _retain);
        // MQTT 5's reason codes, which MQTTnet's enumeration names.
        var reason = (MqttClientPublishReasonCode)code;
        switch (reason)
        {
            case MqttClientPublishReasonCode.Success:
                break;
            case MqttClientPublishReasonCode.NoMatchingSubscribers:
                _log.Warn(_retain
                    ? "no subscriber matched; the broker keeps the message as the topic's retained message"
                    : "no subscriber matched: the broker keeps the message for no one (subscribe procx's session first, or -mqtt-retain)",
                    ("topic", _factory.Topic));
                break;
            case MqttClientPublishReasonCode.NotAuthorized or MqttClientPublishReasonCode.TopicNameInvalid:
                throw _factory.Settings.Invalid(MqttSettings.Topic, $"the MQTT broker at {_factory.Endpoint} refused the message for '{_factory.Topic}' ({Reason(reason, text)})");
            case MqttClientPublishReasonCode.PayloadFormatInvalid:
                throw DriverException.DataError($"the MQTT broker at {_factory.Endpoint} refused the payload ({Reason(reason, text)})");
            default:
                throw DriverException.Transient($"the MQTT broker at {_factory.Endpoint} refused the message ({Reason(reason, text)})");
        }
    }

    public DriverException? Translate(Exception error) => _factory.Translate(error);

    public ValueTask DisposeAsync()
    {
        _publisher.Dispose();
        return ValueTask.CompletedTask;
    }

    private static string Reason(MqttClientPublishReasonCode code, string? text) =>
        Drivers.Core.Failures.ErrorText.Words(code.ToString()) + (text is { Length: > 0 } s ? ": " + Drivers.Core.Failures.ErrorText.OneLine(s) : "");
}
