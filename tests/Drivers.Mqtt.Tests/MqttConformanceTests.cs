using Drivers.Conformance;
using Drivers.Core.Contracts;
using MQTTnet;
using MQTTnet.Protocol;

namespace Drivers.Mqtt.Tests;

/// <summary>The shared source suite against Mosquitto: one persistent session (client id) per harness.</summary>
public class MqttSourceConformanceTests : SourceConformanceTests
{
    /// <summary>The -mqtt-protocol-version procx speaks.</summary>
    protected virtual string ProtocolVersion => "5";

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        await MqttService.EnsureAsync();
        var harness = new Harness(ProtocolVersion);
        // MQTT keeps messages only for sessions subscribed when they arrive: the session exists before any publish.
        await MqttService.CreateSessionAsync(harness.ClientId, harness.Topic);
        return harness;
    }

    private sealed class Harness(string protocolVersion) : ISourceHarness
    {
        public string Topic { get; } = MqttService.NewTopic("conformance");

        public string ClientId { get; } = MqttService.NewClientId();

        public ISourceDriver CreateSource() => DriverFactory.Source(MqttService.Registry, "mqtt",
            MqttService.Flags(Topic, ("mqtt-client-id", ClientId), ("mqtt-wait", "1s"), ("mqtt-protocol-version", protocolVersion)));

        public Task EnqueueAsync(byte[] payload) => MqttService.PublishAsync(Topic, payload);

        /// <summary>What the session still owes: read with a plain client under the session's client id, acknowledging nothing.</summary>
        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() =>
            (await MqttService.PeekSessionAsync(ClientId)).Select(m => m.Payload).ToList();

        public async ValueTask DisposeAsync() => await MqttService.DeleteSessionAsync(ClientId);
    }
}

/// <summary>The same suite with procx speaking MQTT 3.1.1 (clean session off; no session expiry, no Receive Maximum).</summary>
public sealed class MqttSource311ConformanceTests : MqttSourceConformanceTests
{
    protected override string ProtocolVersion => "3.1.1";
}

public sealed class MqttSinkConformanceTests : SinkConformanceTests
{
    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        await MqttService.EnsureAsync();
        var harness = new Harness();
        await harness.StartAsync();
        return harness;
    }

    /// <summary>A plain subscriber (QoS 1) connected before the pushes, collecting in arrival order.</summary>
    private sealed class Harness : ISinkHarness
    {
        private readonly string _topic = MqttService.NewTopic("sink");
        private readonly List<byte[]> _received = [];
        private IMqttClient? _client;

        public async Task StartAsync()
        {
            _client = await MqttService.ConnectAsync(MqttService.NewClientId(), persistent: false);
            _client.ApplicationMessageReceivedAsync += e =>
            {
                lock (_received)
                {
                    _received.Add(System.Buffers.BuffersExtensions.ToArray(e.ApplicationMessage.Payload));
                }
                return Task.CompletedTask;
            };
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(_topic, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        }

        public ISinkDriver CreateSink() => DriverFactory.Sink(MqttService.Registry, "mqtt", MqttService.Flags(_topic));

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (true)
            {
                lock (_received)
                {
                    if (_received.Count >= expected || DateTime.UtcNow > deadline)
                    {
                        return _received.ToList();
                    }
                }
                await Task.Delay(50);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is not null)
            {
                await _client.DisconnectAsync();
                _client.Dispose();
            }
        }
    }
}
