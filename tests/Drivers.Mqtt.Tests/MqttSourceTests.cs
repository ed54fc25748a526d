using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace Drivers.Mqtt.Tests;

/// <summary>What the mqtt source does beyond the shared suite, measured against Mosquitto.</summary>
public sealed class MqttSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task<(string Topic, string ClientId)> SessionAsync(string kind)
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic(kind);
        var clientId = MqttService.NewClientId();
        await MqttService.CreateSessionAsync(clientId, topic);
        return (topic, clientId);
    }

    private static ISourceDriver Source(string topic, string clientId, params (string, string)[] more) =>
        DriverFactory.Source(MqttService.Registry, "mqtt", MqttService.Flags(topic, [("mqtt-client-id", clientId), .. more]));

    private static async Task<WorkItem> FetchAsync(ISourceDriver source) =>
        await source.FetchAsync(TimeSpan.FromSeconds(5), Ct) ?? throw new Xunit.Sdk.XunitException("no message within 5s");

    [Fact]
    public async Task A_failed_message_comes_back_with_dup_after_the_reconnect_and_a_running_one_is_not_handed_out_twice()
    {
        var (topic, clientId) = await SessionAsync("fail-dup");
        try
        {
            await MqttService.PublishAsync(topic, [B("a"), B("b")]);
            await using var source = Source(topic, clientId);
            await using var a = await FetchAsync(source);
            await using var b = await FetchAsync(source);
            Assert.Equal("a", Encoding.UTF8.GetString(await a.Payload.ReadAllBytesAsync(Ct)));
            Assert.False(a.TemplateData!.Variables["dup"]!.GetValue<bool>());

            await source.FailAsync(a, Ct); // reconnects: Mosquitto sends both unacknowledged messages again

            await using var again = await FetchAsync(source);
            Assert.Equal("a", Encoding.UTF8.GetString(await again.Payload.ReadAllBytesAsync(Ct)));
            Assert.True(again.TemplateData!.Variables["dup"]!.GetValue<bool>(), "Mosquitto sends an unacknowledged message again with DUP set");
            Assert.Equal(a.Id, again.Id); // the same packet id
            // b was running: its resend is not a new job, and its PUBACK goes out on the new connection.
            Assert.Null(await source.FetchAsync(TimeSpan.FromMilliseconds(500), Ct));
            await source.ClearAsync(b, Ct);
            await source.ClearAsync(again, Ct);
            Assert.Empty(await MqttService.PeekSessionAsync(clientId));
        }
        finally
        {
            await MqttService.DeleteSessionAsync(clientId);
        }
    }

    [Fact]
    public async Task Acknowledgements_out_of_order_each_remove_their_own_message()
    {
        // -concurrency finishes jobs in any order; MQTT asks for PUBACKs in order, Mosquitto takes them by packet id.
        var (topic, clientId) = await SessionAsync("order");
        try
        {
            await MqttService.PublishAsync(topic, [B("1"), B("2"), B("3"), B("4")]);
            await using (var source = Source(topic, clientId))
            {
                var items = (await ((IBatchSource)source).FetchBatchAsync(4, TimeSpan.FromSeconds(5), Ct)).ToList();
                while (items.Count < 4)
                {
                    items.Add(await FetchAsync(source));
                }
                await source.ClearAsync(items[2], Ct);
                await source.ClearAsync(items[0], Ct);
                await source.ClearAsync(items[3], Ct);
            }
            // (After a clean disconnect: a session taken over at once may lose PUBACKs still unread on the old socket.)
            var left = await MqttService.PeekSessionAsync(clientId);
            Assert.Equal(["2"], left.Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
        finally
        {
            await MqttService.DeleteSessionAsync(clientId);
        }
    }

    [Fact]
    public async Task A_shared_subscription_splits_the_topic_between_two_procx()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("shared");
        var group = "$share/workers/" + topic;
        var (one, two) = (MqttService.NewClientId(), MqttService.NewClientId());
        try
        {
            await MqttService.CreateSessionAsync(one, group);
            await MqttService.CreateSessionAsync(two, group);
            var sent = Enumerable.Range(0, 20).Select(i => $"m{i}").ToList();
            await MqttService.PublishAsync(topic, sent.Select(B));
            await using var a = Source(group, one);
            await using var b = Source(group, two);
            var got = new List<(string Who, string Payload)>();
            foreach (var (who, source) in new[] { ("one", a), ("two", b) })
            {
                while (await source.FetchAsync(TimeSpan.FromSeconds(1), Ct) is { } item)
                {
                    got.Add((who, Encoding.UTF8.GetString(await item.Payload.ReadAllBytesAsync(Ct))));
                    await source.ClearAsync(item, Ct);
                    await item.DisposeAsync();
                }
            }
            Assert.Equal(sent.Order(), got.Select(g => g.Payload).Order());
            Assert.Contains(got, g => g.Who == "one");
            Assert.Contains(got, g => g.Who == "two");
        }
        finally
        {
            await MqttService.DeleteSessionAsync(one);
            await MqttService.DeleteSessionAsync(two);
        }
    }

    [Fact]
    public async Task Dead_letter_publishes_to_the_dead_letter_topic_then_acknowledges()
    {
        var (topic, clientId) = await SessionAsync("dead");
        var deadReader = MqttService.NewClientId();
        try
        {
            await MqttService.CreateSessionAsync(deadReader, "dead-letter/" + topic);
            await MqttService.PublishAsync(topic, B("poison"));
            await using (var source = Source(topic, clientId))
            {
                await using var item = await FetchAsync(source);
                await ((IDeadLetterSource)source).DeadLetterAsync(item, Ct);
            }
            Assert.Empty(await MqttService.PeekSessionAsync(clientId));
            Assert.Equal(["poison"], (await MqttService.PeekSessionAsync(deadReader)).Select(m => Encoding.UTF8.GetString(m.Payload)));
        }
        finally
        {
            await MqttService.DeleteSessionAsync(clientId);
            await MqttService.DeleteSessionAsync(deadReader);
        }
    }

    [Fact]
    public async Task A_dead_letter_topic_inside_the_filter_is_a_configuration_error()
    {
        await MqttService.EnsureAsync();
        var error = Assert.Throws<DriverException>(() => Source("jobs/#", "x", ("mqtt-dead-letter-topic", "jobs/dead")));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("-mqtt-dead-letter-topic", error.Message);
    }

    [Fact]
    public async Task An_unreachable_broker_is_transient_and_names_host_and_port()
    {
        var port = ToolProcesses.FreePort();
        await using var source = DriverFactory.Source(MqttService.Registry, "mqtt",
            new Dictionary<string, string> { ["mqtt-host"] = "127.0.0.1", ["mqtt-port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["mqtt-topic"] = "x" });
        var error = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        Assert.Equal(FailureKind.Transient, error.Kind);
        Assert.Contains("connection refused", error.Message);
        Assert.Contains("-mqtt-host/-mqtt-port", error.Message);
    }
}

/// <summary>What the mqtt sink does beyond the shared suite.</summary>
public sealed class MqttSinkTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("0")]
    [InlineData("2")]
    public async Task Publishes_with_the_qos_asked_for(string qos)
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("qos");
        var reader = MqttService.NewClientId();
        try
        {
            using var client = await MqttService.ConnectAsync(reader, persistent: false);
            var got = new TaskCompletionSource<MqttApplicationMessage>();
            client.ApplicationMessageReceivedAsync += e =>
            {
                got.TrySetResult(e.ApplicationMessage);
                return Task.CompletedTask;
            };
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(topic, MqttQualityOfServiceLevel.ExactlyOnce).Build(), Ct);
            await using (var sink = DriverFactory.Sink(MqttService.Registry, "mqtt", MqttService.Flags(topic, ("mqtt-qos", qos))))
            {
                await sink.PushAsync(Payload.FromBytes("q"u8.ToArray()), Ct);
            }
            var message = await got.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
            Assert.Equal((int)message.QualityOfServiceLevel, int.Parse(qos, System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            await MqttService.DeleteSessionAsync(reader);
        }
    }

    [Fact]
    public async Task A_retained_message_reaches_a_later_subscriber()
    {
        await MqttService.EnsureAsync();
        var topic = MqttService.NewTopic("retain");
        await using (var sink = DriverFactory.Sink(MqttService.Registry, "mqtt", MqttService.Flags(topic, ("mqtt-retain", "true"))))
        {
            await sink.PushAsync(Payload.FromBytes("state: on"u8.ToArray()), Ct);
        }
        using var client = await MqttService.ConnectAsync(MqttService.NewClientId(), persistent: false);
        var got = new TaskCompletionSource<MqttApplicationMessage>();
        client.ApplicationMessageReceivedAsync += e =>
        {
            got.TrySetResult(e.ApplicationMessage);
            return Task.CompletedTask;
        };
        await client.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce, Ct);
        var message = await got.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(message.Retain);
        Assert.Equal("state: on", Encoding.UTF8.GetString(System.Buffers.BuffersExtensions.ToArray(message.Payload)));
        // Clear the retained message (an empty retained publish).
        await MqttService.PublishAsync(topic, []);
        using var clear = await MqttService.ConnectAsync(MqttService.NewClientId(), persistent: false);
        await clear.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithRetainFlag().Build(), Ct);
    }

    [Theory]
    [InlineData("jobs/+")]
    [InlineData("jobs/#")]
    public void A_topic_filter_is_a_configuration_error(string topic)
    {
        var error = Assert.Throws<DriverException>(() => DriverFactory.Sink(MqttService.Registry, "mqtt", new Dictionary<string, string> { ["mqtt-topic"] = topic }));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("PUSHX_MQTT_TOPIC", error.Message);
    }

    [Fact]
    public void A_password_without_a_user_is_a_configuration_error_that_does_not_print_it()
    {
        var error = Assert.Throws<DriverException>(() => DriverFactory.Sink(MqttService.Registry, "mqtt",
            new Dictionary<string, string> { ["mqtt-topic"] = "t", ["mqtt-password"] = "s3cret-value" }));
        Assert.Equal(FailureKind.Configuration, error.Kind);
        Assert.Contains("-mqtt-user", error.Message);
        Assert.DoesNotContain("s3cret-value", error.Message);
    }
}
