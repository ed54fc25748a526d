using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using MQTTnet;
using MQTTnet.Protocol;

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
    private readonly MqttQualityOfServiceLevel _qos;
    private readonly bool _retain;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IMqttClient? _client;

    public MqttSink(DriverContext context)
    {
        _log = context.Log;
        _factory = new MqttConnectionFactory(context.Settings, _log);
        if (_factory.Topic.Contains('+') || _factory.Topic.Contains('#') || _factory.Topic.Length == 0)
        {
            throw context.Settings.Invalid(MqttSettings.Topic, $"'{_factory.Topic}' is a topic filter; pushx publishes to one topic, without + or #");
        }
        _qos = (MqttQualityOfServiceLevel)int.Parse(context.Settings.GetString(MqttSettings.Qos) ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        _retain = context.Settings.GetBool(MqttSettings.Retain);
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_factory.Topic)
            .WithPayload(bytes)
            .WithQualityOfServiceLevel(_qos)
            .WithRetainFlag(_retain)
            .Build();
        var client = await ConnectedAsync(cancellationToken).ConfigureAwait(false);
        MqttClientPublishResult result;
        try
        {
            result = await client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException && _factory.Translate(e) is { } translated)
        {
            throw translated;
        }
        switch (result.ReasonCode)
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
                throw _factory.Settings.Invalid(MqttSettings.Topic, $"the MQTT broker at {_factory.Endpoint} refused the message for '{_factory.Topic}' ({Reason(result)})");
            case MqttClientPublishReasonCode.PayloadFormatInvalid:
                throw DriverException.DataError($"the MQTT broker at {_factory.Endpoint} refused the payload ({Reason(result)})");
            default:
                throw DriverException.Transient($"the MQTT broker at {_factory.Endpoint} refused the message ({Reason(result)})");
        }
    }

    public DriverException? Translate(Exception error) => _factory.Translate(error);

    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            try
            {
                if (client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Debug($"disconnect failed: {e.Message}");
            }
            client.Dispose();
        }
        _gate.Dispose();
    }

    private static string Reason(MqttClientPublishResult result) =>
        Drivers.Core.Failures.ErrorText.Words(result.ReasonCode.ToString()) + (result.ReasonString is { Length: > 0 } s ? ": " + Drivers.Core.Failures.ErrorText.OneLine(s) : "");

    private async Task<IMqttClient> ConnectedAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is { IsConnected: true } connected)
            {
                return connected;
            }
            _client?.Dispose();
            _client = null;
            var client = _factory.CreateClient();
            var clientId = _factory.ConfiguredClientId ?? $"pushx-{Guid.NewGuid():N}"[..22];
            try
            {
                await _factory.ConnectAsync(client, _factory.Options(clientId, persistent: false), cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                client.Dispose();
                _client = null;
                throw;
            }
            _client = client;
            return client;
        }
        finally
        {
            _gate.Release();
        }
    }
}
