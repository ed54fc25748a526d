using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace Drivers.Mqtt;

/// <summary>
/// Subscribes to <c>-mqtt-topic</c> with QoS 1 on a persistent session (clean start off, a session expiry, a
/// stable client id), so the broker queues messages for procx while it is away, and acknowledges (PUBACK) a
/// message only after its job succeeded. MQTT has no negative acknowledgement: a failed or released message
/// is left unacknowledged and the connection is made again, on which the broker sends every unacknowledged
/// message of the session again (DUP). A message the broker sends again while its job still runs is known by
/// its packet id (the broker keeps it until the PUBACK) and is not handed out twice; its PUBACK then goes out
/// on the new connection. A killed procx's messages are sent again when its client id connects next.
/// </summary>
internal sealed class MqttSource : ISourceDriver, IBatchSource, IDeadLetterSource, IFailureTranslator
{
    /// <summary>How long a clear waits for the broker to send a message again on a new connection, so its PUBACK can go out.</summary>
    private static readonly TimeSpan ResendWait = TimeSpan.FromSeconds(15);

    private readonly MqttConnectionFactory _factory;
    private readonly ILog _log;
    private readonly string _filter;
    private readonly string _clientId;
    private readonly uint _sessionExpiry;
    private readonly ushort _receiveMaximum;
    private readonly TimeSpan _connectWait;
    private readonly string? _deadLetterTopic;
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, MqttDelivery> _tracked = [];
    private readonly Channel<MqttDelivery> _ready = Channel.CreateUnbounded<MqttDelivery>();
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private IMqttClient? _client;
    private int _connection;
    private int _leaving;
    private DateTime _connectedAt;
    private DriverException? _fatal;
    private volatile bool _disposing;

    public MqttSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _factory = new MqttConnectionFactory(settings, _log);
        _filter = _factory.Topic;
        _clientId = _factory.StableClientId();
        var expiry = settings.GetDuration(MqttSettings.SessionExpiry);
        _sessionExpiry = expiry == TimeSpan.Zero ? uint.MaxValue : (uint)Math.Min(uint.MaxValue - 1, Math.Ceiling(expiry.TotalSeconds));
        _receiveMaximum = (ushort)settings.GetInt(MqttSettings.ReceiveMaximum);
        _connectWait = settings.GetDuration(MqttSettings.Wait);
        _deadLetterTopic = settings.GetString(MqttSettings.DeadLetterTopic) is { Length: > 0 } dead ? dead : null;
        if (_deadLetterTopic is not null && (_deadLetterTopic.Contains('+') || _deadLetterTopic.Contains('#')))
        {
            throw settings.Invalid(MqttSettings.DeadLetterTopic, $"'{_deadLetterTopic}' is a topic filter; a dead letter is published to one topic, without + or #");
        }
        if (_deadLetterTopic is not null && Matches(_deadLetterTopic))
        {
            throw settings.Invalid(MqttSettings.DeadLetterTopic, $"'{_deadLetterTopic}' matches -mqtt-topic '{_filter}': a dead letter would come straight back");
        }
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)) is [var item] ? item : null;

    /// <summary>Up to <paramref name="max"/> of the messages the broker has sent (at most -mqtt-receive-maximum are unacknowledged at once).</summary>
    public async Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        if (!_ready.Reader.TryRead(out var first))
        {
            // Right after connecting the broker is still sending the session's queued messages: a fetch that
            // asks for no waiting still gives them -mqtt-wait to arrive.
            var limit = wait > TimeSpan.Zero ? wait : _connectWait - (DateTime.UtcNow - _connectedAt);
            if (limit <= TimeSpan.Zero)
            {
                return [];
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(limit);
            try
            {
                first = await _ready.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                ThrowIfFatal();
                return [];
            }
        }
        var items = new List<WorkItem> { Start(first) };
        while (items.Count < max && _ready.Reader.TryRead(out var next))
        {
            items.Add(Start(next));
        }
        return items;
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => AcknowledgeAsync(Delivery(item), cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => ReturnAsync(Delivery(item), "failed", cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => ReturnAsync(Delivery(item), "released", cancellationToken);

    /// <summary>
    /// After -max-failures: publishes the message (QoS 1, retain off) to -mqtt-dead-letter-topic, default
    /// <c>dead-letter/TOPIC</c>, with the user properties procx-source-topic and procx-client-id, and only
    /// once the broker acknowledged that, acknowledges the original.
    /// </summary>
    public async Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var delivery = Delivery(item);
        var topic = _deadLetterTopic ?? "dead-letter/" + delivery.Topic;
        if (Matches(topic))
        {
            throw _factory.Settings.Invalid(MqttSettings.DeadLetterTopic, $"the dead-letter topic '{topic}' matches -mqtt-topic '{_filter}': it would come straight back");
        }
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(delivery.Payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty("procx-source-topic", System.Text.Encoding.UTF8.GetBytes(delivery.Topic).AsMemory())
            .WithUserProperty("procx-client-id", System.Text.Encoding.UTF8.GetBytes(_clientId).AsMemory())
            .Build();
        var client = await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
        var result = await Run(() => client.PublishAsync(message, cancellationToken)).ConfigureAwait(false);
        if (result.ReasonCode is not (MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers))
        {
            throw DriverException.Transient($"the MQTT broker at {_factory.Endpoint} refused the dead letter for '{topic}' ({ErrorText.Words(result.ReasonCode.ToString())})");
        }
        if (result.ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            _log.Warn("no session subscribes to the dead-letter topic: MQTT keeps the dead letter for no one", ("topic", topic));
        }
        await AcknowledgeAsync(delivery, cancellationToken).ConfigureAwait(false);
    }

    public DriverException? Translate(Exception error) => _factory.Translate(error);

    public async ValueTask DisposeAsync()
    {
        _disposing = true;
        // A clean DISCONNECT keeps the session: what was not acknowledged is sent again to the next procx
        // with this client id.
        if (_client is { } client)
        {
            try
            {
                if (client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await BarrierAsync(client, timeout.Token).ConfigureAwait(false);
                    await client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.Debug($"disconnect failed: {e.Message}");
            }
            client.Dispose();
        }
        _connectGate.Dispose();
    }

    /// <summary>
    /// A PINGREQ answered: the broker has read every packet sent before it, the PUBACKs of finished jobs
    /// included. Measured on Mosquitto 2.0: PUBACKs written just before a connection closed (and a
    /// DISCONNECT) were sometimes never read, when the close reset the connection or the next connection of
    /// the session came first, so those messages came again (duplicates). The ping closes that window.
    /// </summary>
    private async Task BarrierAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        try
        {
            await client.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Debug($"ping before disconnecting failed: {e.Message}");
        }
    }

    private static MqttDelivery Delivery(WorkItem item) => (MqttDelivery)item.DriverState!;

    private bool Matches(string topic) => MqttTopicFilterComparer.Compare(topic, SubscribedFilter) == MqttTopicFilterCompareResult.IsMatch;

    /// <summary>The filter without a <c>$share/GROUP/</c> prefix, for matching topics.</summary>
    private string SubscribedFilter =>
        _filter.StartsWith("$share/", StringComparison.Ordinal) && _filter.IndexOf('/', 7) is var slash and > 7 ? _filter[(slash + 1)..] : _filter;

    private WorkItem Start(MqttDelivery delivery)
    {
        lock (_lock)
        {
            delivery.State = DeliveryState.Running;
        }
        var message = delivery.Message!;
        var properties = new JsonObject();
        foreach (var property in message.UserProperties ?? [])
        {
            properties[property.Name] = property.ReadValueAsString();
        }
        var templateData = TemplateData.FromPayloadBytes(delivery.Payload)
            .With("topic", delivery.Topic)
            .With("packetId", JsonValue.Create((int)delivery.PacketId))
            .With("qos", JsonValue.Create((int)message.QualityOfServiceLevel))
            .With("dup", JsonValue.Create(message.Dup))
            .With("retain", JsonValue.Create(message.Retain))
            .With("contentType", message.ContentType)
            .With("responseTopic", message.ResponseTopic)
            .With("userProperties", properties);
        if (message.Dup)
        {
            _log.Debug("a message sent again (DUP)", ("topic", delivery.Topic), ("packet_id", (int)delivery.PacketId));
        }
        return new WorkItem(Payload.FromBytes(delivery.Payload))
        {
            Key = delivery.Topic,
            Id = delivery.IsQos0 ? null : delivery.PacketId.ToString(CultureInfo.InvariantCulture),
            TemplateData = templateData,
            DriverState = delivery,
        };
    }

    /// <summary>Sends the PUBACK on the connection the message's handle belongs to, or on the next one after the broker sent it again.</summary>
    private async Task AcknowledgeAsync(MqttDelivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.IsQos0)
        {
            return;
        }
        MqttApplicationMessageReceivedEventArgs? handle = null;
        lock (_lock)
        {
            if (delivery.Orphaned)
            {
                _log.Warn("the broker lost the session this message came from (restarted without persistence?): there is nothing to acknowledge",
                    ("topic", delivery.Topic));
                return;
            }
            if (delivery.Connection == _connection)
            {
                // Untracked before the PUBACK goes out: the broker may reuse the packet id at once.
                _tracked.Remove(delivery.PacketId);
                handle = delivery.Handle;
            }
            else
            {
                delivery.State = DeliveryState.Acking;
            }
        }
        if (handle is not null)
        {
            try
            {
                await handle.AcknowledgeAsync(cancellationToken).ConfigureAwait(false);
                delivery.Acked.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                _log.Info("the PUBACK could not go out; it goes out when the broker sends the message again", ("topic", delivery.Topic), ("error", ErrorText.Describe(e)));
                lock (_lock)
                {
                    delivery.State = DeliveryState.Acking;
                    _tracked.TryAdd(delivery.PacketId, delivery);
                }
            }
        }
        var deadline = DateTime.UtcNow + ResendWait;
        while (!delivery.Acked.Task.IsCompleted)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                throw DriverException.Transient($"the PUBACK for a message of '{delivery.Topic}' could not go out: the MQTT broker at {_factory.Endpoint} did not send it again after reconnecting");
            }
            await EnsureConnectedAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await delivery.Acked.Task.WaitAsync(remaining < TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Check the connection and wait on.
            }
        }
    }

    /// <summary>
    /// Leaves the message unacknowledged and connects again, so the broker sends it (and every other
    /// unacknowledged message of the session) again: MQTT has no negative acknowledgement.
    /// </summary>
    private async Task ReturnAsync(MqttDelivery delivery, string what, CancellationToken cancellationToken)
    {
        if (delivery.IsQos0)
        {
            _log.Warn($"a QoS 0 message cannot come back: the {what} message is dropped", ("topic", delivery.Topic));
            return;
        }
        lock (_lock)
        {
            if (delivery.Orphaned)
            {
                _log.Warn($"the broker lost the session this message came from: the {what} message cannot come back", ("topic", delivery.Topic));
                return;
            }
            delivery.State = DeliveryState.Returning;
        }
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            bool reconnect;
            lock (_lock)
            {
                // A connection made after this message's handle sends it again by itself.
                reconnect = delivery.State == DeliveryState.Returning && delivery.Connection == _connection;
            }
            if (reconnect)
            {
                _log.Debug($"reconnecting so that the broker sends the {what} message again", ("topic", delivery.Topic), ("packet_id", (int)delivery.PacketId));
                if (_client is { IsConnected: true } client)
                {
                    Volatile.Write(ref _leaving, _connection);
                    await BarrierAsync(client, cancellationToken).ConfigureAwait(false);
                    await Run(() => client.DisconnectAsync(new MqttClientDisconnectOptions(), cancellationToken)).ConfigureAwait(false);
                }
                await ConnectLockedAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private async Task<IMqttClient> EnsureConnectedAsync(CancellationToken cancellationToken)
    {
        ThrowIfFatal();
        if (Volatile.Read(ref _client) is { IsConnected: true } connected)
        {
            return connected;
        }
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _client is { IsConnected: true } client ? client : await ConnectLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _connectGate.Release();
        }
    }

    private void ThrowIfFatal()
    {
        if (_fatal is { } fatal)
        {
            throw fatal;
        }
    }

    /// <summary>A new connection of the session (the caller holds the connect gate).</summary>
    private async Task<IMqttClient> ConnectLockedAsync(CancellationToken cancellationToken)
    {
        _client?.Dispose();
        var client = _factory.CreateClient();
        int number;
        lock (_lock)
        {
            number = ++_connection;
        }
        client.ApplicationMessageReceivedAsync += e => OnMessageAsync(e, number);
        client.DisconnectedAsync += e => OnDisconnected(e, number);
        _client = client;
        var options = _factory.Options(_clientId, persistent: true, _sessionExpiry, _receiveMaximum);
        MqttClientConnectResult connected;
        try
        {
            connected = await _factory.ConnectAsync(client, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            client.Dispose();
            _client = null;
            throw;
        }
        if (!connected.IsSessionPresent)
        {
            Orphan(number);
        }
        // MQTT 5: a subscription the session already has is renewed without its retained messages being sent
        // again; a 3.1.1 session present keeps its subscription, so it is not renewed at all.
        if (!connected.IsSessionPresent || _factory.Version == MqttProtocolVersion.V500)
        {
            await SubscribeAsync(client, cancellationToken).ConfigureAwait(false);
        }
        _connectedAt = DateTime.UtcNow;
        _log.Debug("connected to the MQTT broker", ("endpoint", _factory.Endpoint), ("client_id", _clientId), ("session_present", connected.IsSessionPresent),
            ("connection", number));
        return client;
    }

    private async Task SubscribeAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        var filter = new MqttTopicFilterBuilder().WithTopic(_filter).WithAtLeastOnceQoS();
        if (_factory.Version == MqttProtocolVersion.V500 && !_filter.StartsWith("$share/", StringComparison.Ordinal))
        {
            filter.WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly);
        }
        var options = new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter.Build()).Build();
        var result = await Run(() => client.SubscribeAsync(options, cancellationToken)).ConfigureAwait(false);
        var code = result.Items.Count > 0 ? result.Items.First().ResultCode : MqttClientSubscribeResultCode.UnspecifiedError;
        switch (code)
        {
            case MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2:
                break;
            case MqttClientSubscribeResultCode.GrantedQoS0:
                _log.Warn("the broker granted QoS 0 only: messages are not acknowledged and a failed or lost one is gone", ("topic", _filter));
                break;
            case MqttClientSubscribeResultCode.NotAuthorized or MqttClientSubscribeResultCode.TopicFilterInvalid
                or MqttClientSubscribeResultCode.SharedSubscriptionsNotSupported or MqttClientSubscribeResultCode.WildcardSubscriptionsNotSupported:
                throw _factory.Settings.Invalid(MqttSettings.Topic, $"the MQTT broker at {_factory.Endpoint} refused the subscription to '{_filter}' ({ErrorText.Words(code.ToString())})");
            default:
                throw DriverException.Transient($"the MQTT broker at {_factory.Endpoint} refused the subscription to '{_filter}' ({ErrorText.Words(code.ToString())})");
        }
    }

    /// <summary>The broker has no session for us (new, expired, or lost in a restart without persistence).</summary>
    private void Orphan(int number)
    {
        lock (_lock)
        {
            if (_tracked.Count == 0)
            {
                return;
            }
            _log.Warn("the MQTT broker no longer has this procx's session (expired, or the broker restarted without persistence): the messages it held are gone from the broker",
                ("client_id", _clientId), ("unacknowledged", _tracked.Count));
            foreach (var delivery in _tracked.Values.Where(d => d.Connection < number))
            {
                delivery.Orphaned = true;
                delivery.Acked.TrySetResult();
                _tracked.Remove(delivery.PacketId);
            }
        }
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e, int number)
    {
        e.AutoAcknowledge = false;
        var message = e.ApplicationMessage;
        if (message.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce || e.PacketIdentifier == 0)
        {
            var qos0 = new MqttDelivery(0, message.Topic, System.Buffers.BuffersExtensions.ToArray(message.Payload)) { Message = message, IsQos0 = true };
            _ready.Writer.TryWrite(qos0);
            return;
        }
        MqttDelivery? ackNow = null;
        lock (_lock)
        {
            if (number != _connection)
            {
                return; // an older connection still delivering: the broker sends it again on the current one
            }
            if (_tracked.TryGetValue(e.PacketIdentifier, out var known))
            {
                known.Handle = e;
                known.Connection = number;
                known.Message = message;
                switch (known.State)
                {
                    case DeliveryState.Returning:
                        known.State = DeliveryState.Buffered;
                        _ready.Writer.TryWrite(known);
                        break;
                    case DeliveryState.Acking:
                        _tracked.Remove(known.PacketId);
                        ackNow = known;
                        break;
                }
            }
            else
            {
                var delivery = new MqttDelivery(e.PacketIdentifier, message.Topic, System.Buffers.BuffersExtensions.ToArray(message.Payload))
                {
                    Handle = e,
                    Connection = number,
                    Message = message,
                };
                _tracked[e.PacketIdentifier] = delivery;
                _ready.Writer.TryWrite(delivery);
            }
        }
        if (ackNow is not null)
        {
            try
            {
                await e.AcknowledgeAsync(CancellationToken.None).ConfigureAwait(false);
                ackNow.Acked.TrySetResult();
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                lock (_lock)
                {
                    _tracked.TryAdd(ackNow.PacketId, ackNow);
                }
                _log.Info("the PUBACK could not go out; it goes out when the broker sends the message again", ("error", ErrorText.Describe(error)));
            }
        }
    }

    private Task OnDisconnected(MqttClientDisconnectedEventArgs e, int number)
    {
        if (_disposing || number != Volatile.Read(ref _connection) || number == Volatile.Read(ref _leaving) || !e.ClientWasConnected)
        {
            return Task.CompletedTask;
        }
        if (e.Reason == MqttClientDisconnectReason.SessionTakenOver)
        {
            _fatal = _factory.Settings.Invalid(MqttSettings.ClientId,
                $"another client connected to the MQTT broker at {_factory.Endpoint} with the client id '{_clientId}' and took over this procx's session; give each procx its own client id (several procx share a topic with -mqtt-topic '$share/GROUP/FILTER')");
        }
        // Mosquitto 2.0 closes a session taken over by another client with the same id without saying so
        // (measured): that case reads as a lost connection too.
        _log.Warn("the connection to the MQTT broker was lost (broker stopped, network, or another client connected with the same -mqtt-client-id); unacknowledged messages come again on the next connection",
            ("endpoint", _factory.Endpoint), ("client_id", _clientId), ("reason", e.Exception is { } error ? ErrorText.Describe(error) : ErrorText.Words(e.Reason.ToString())));
        return Task.CompletedTask;
    }

    private async Task<T> Run<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException && _factory.Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    private async Task Run(Func<Task> operation)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not DriverException && _factory.Translate(e) is { } translated)
        {
            throw translated;
        }
    }
}
