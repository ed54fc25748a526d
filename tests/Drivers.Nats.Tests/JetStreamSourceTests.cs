using Drivers.Conformance;
using Drivers.Core.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>JetStream mode against the real server: leases, delivery counts, dead-letters, batches, missing streams.</summary>
public sealed class JetStreamSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ISourceDriver Source(string stream, params (string Name, string Value)[] more) =>
        DriverFactory.Source(NatsService.Registry, "nats", NatsService.Flags([("nats-stream", stream), ("nats-consumer", "workers"), ("nats-nak-delay", "100ms"), .. more]));

    private static async Task PublishAsync(string subject, string payload)
    {
        var ack = await (await NatsService.JetStreamAsync()).PublishAsync(subject, System.Text.Encoding.UTF8.GetBytes(payload), NatsRawSerializer<byte[]>.Default, cancellationToken: Ct);
        ack.EnsureSuccess();
    }

    private static async Task<WorkItem> FetchAsync(ISourceDriver source, TimeSpan? within = null)
    {
        WorkItem? item = null;
        await ToolProcesses.WaitUntilAsync(async () => (item = await source.FetchAsync(TimeSpan.FromSeconds(1), Ct)) is not null,
            within ?? TimeSpan.FromSeconds(10), "a message");
        return item!;
    }

    [Fact]
    public async Task Renewed_lease_keeps_the_message_from_other_procx_and_a_lapsed_one_hands_it_over()
    {
        var stream = NatsService.NewName("lease");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            await PublishAsync(subject, "long job");
            await using var first = Source(stream, ("nats-ack-wait", "2s"));
            await using var second = Source(stream, ("nats-ack-wait", "2s"));
            var item = await FetchAsync(first);
            Assert.Equal(TimeSpan.FromSeconds(2) / 3, ((ILeasedSource)first).LeaseRenewalInterval);
            for (var i = 0; i < 10; i++)
            {
                await ((ILeasedSource)first).RenewLeaseAsync(item, Ct);
                Assert.Null(await second.FetchAsync(TimeSpan.Zero, Ct)); // 3 s in all, past the ack wait
                await Task.Delay(300, Ct);
            }
            // No more renewals (procx died): the other procx gets it after the ack wait, delivered a second time.
            var again = await FetchAsync(second, TimeSpan.FromSeconds(10));
            Assert.Equal(item.Id, again.Id);
            Assert.Equal(2, again.DeliveryCount);
            await second.ClearAsync(again, Ct);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Each_failure_is_a_delivery_the_server_counts()
    {
        var stream = NatsService.NewName("count");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            await PublishAsync(subject, "flaky");
            await using var source = Source(stream);
            for (var attempt = 1; attempt <= 3; attempt++)
            {
                await using var item = await FetchAsync(source);
                Assert.Equal(attempt, item.DeliveryCount);
                await source.FailAsync(item, Ct);
            }
            // A new procx sees the count too: -max-failures holds across restarts.
            await using var next = Source(stream);
            await using var fourth = await FetchAsync(next);
            Assert.Equal(4, fourth.DeliveryCount);
            await next.ClearAsync(fourth, Ct);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Dead_letter_publishes_a_copy_with_its_origin_and_terminates_the_message()
    {
        var stream = NatsService.NewName("dlq");
        var subject = await NatsService.CreateStreamAsync(stream);
        var deadStream = NatsService.NewName("dead");
        var deadSubject = await NatsService.CreateStreamAsync(deadStream);
        try
        {
            var payload = new byte[] { 0, 1, 2, 0xff, 0xfe };
            var ack = await (await NatsService.JetStreamAsync()).PublishAsync(subject, payload, NatsRawSerializer<byte[]>.Default, cancellationToken: Ct);
            ack.EnsureSuccess();
            await using var source = Source(stream, ("nats-dead-letter-subject", deadSubject));
            await using var item = await FetchAsync(source);
            await ((IDeadLetterSource)source).DeadLetterAsync(item, Ct);

            var js = await NatsService.JetStreamAsync();
            var dead = await (await js.GetStreamAsync(deadStream, cancellationToken: Ct)).GetAsync(new StreamMsgGetRequest { Seq = 1 }, Ct);
            Assert.Equal(payload, dead.Message.Data.ToArray());
            Assert.Contains($"Procx-Source-Stream: {stream}", dead.Message.Hdrs is { } h ? System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(h)) : "", StringComparison.Ordinal);
            // Terminated: not delivered again, to this procx or another.
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct));
            await using var other = Source(stream);
            Assert.Null(await other.FetchAsync(TimeSpan.Zero, Ct));
            var consumer = await js.GetConsumerAsync(stream, "workers", Ct);
            Assert.Equal(0, consumer.Info.NumAckPending);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
            await NatsService.DeleteStreamAsync(deadStream);
        }
    }

    [Fact]
    public async Task Dead_letter_without_a_subject_on_a_work_queue_stream_is_a_configuration_error()
    {
        var stream = NatsService.NewName("dlqwq");
        var subject = await NatsService.CreateStreamAsync(stream, StreamConfigRetention.Workqueue);
        try
        {
            await PublishAsync(subject, "x");
            await using var source = Source(stream);
            await using var item = await FetchAsync(source);
            var e = await Assert.ThrowsAsync<DriverException>(() => ((IDeadLetterSource)source).DeadLetterAsync(item, Ct));
            Assert.Equal(FailureKind.Configuration, e.Kind);
            Assert.Contains("-nats-dead-letter-subject", e.Message, StringComparison.Ordinal);
            await source.FailAsync(item, Ct);
            Assert.Single(await JetStreamSourceConformanceTests.StoredAsync(stream)); // still there
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task A_one_shot_fetch_waits_for_nats_wait()
    {
        var stream = NatsService.NewName("oneshot");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            await using var source = Source(stream, ("nats-wait", "20s"));
            var fetch = source.FetchAsync(TimeSpan.Zero, Ct);
            await Task.Delay(1500, Ct);
            Assert.False(fetch.IsCompleted); // waiting, not "no work" at once
            await PublishAsync(subject, "late");
            await using var item = await fetch;
            Assert.NotNull(item);
            await source.ClearAsync(item, Ct);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Batch_fetch_hands_out_at_most_the_free_slots()
    {
        var stream = NatsService.NewName("batch");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            for (var i = 0; i < 5; i++)
            {
                await PublishAsync(subject, $"m{i}");
            }
            await using var source = Source(stream);
            var batch = await ((IBatchSource)source).FetchBatchAsync(3, TimeSpan.Zero, Ct);
            Assert.Equal(3, batch.Count);
            Assert.Equal(["1", "2", "3"], batch.Select(i => i.Id));
            var rest = await ((IBatchSource)source).FetchBatchAsync(10, TimeSpan.Zero, Ct);
            Assert.Equal(["4", "5"], rest.Select(i => i.Id));
            foreach (var item in batch.Concat(rest))
            {
                await source.ClearAsync(item, Ct);
            }
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task A_waiting_fetch_returns_as_soon_as_a_message_arrives()
    {
        var stream = NatsService.NewName("wait");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            await using var source = Source(stream);
            Assert.Empty(await ((IBatchSource)source).FetchBatchAsync(4, TimeSpan.Zero, Ct)); // creates the consumer
            // Longer than the client's 30 s heartbeat cap allows by default: the driver sets the heartbeat itself.
            var fetch = ((IBatchSource)source).FetchBatchAsync(4, TimeSpan.FromSeconds(90), Ct);
            await Task.Delay(300, Ct);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await PublishAsync(subject, "now");
            var got = await fetch;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
            await source.ClearAsync(Assert.Single(got), Ct);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task A_missing_stream_is_a_configuration_error_unless_procx_may_create_it()
    {
        _ = await NatsService.ClientAsync();
        var stream = NatsService.NewName("missing");
        try
        {
            await using (var source = Source(stream))
            {
                var e = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
                Assert.Equal(FailureKind.Configuration, e.Kind);
                Assert.Contains("-nats-stream", e.Message, StringComparison.Ordinal);
                Assert.Contains("-nats-create-stream", e.Message, StringComparison.Ordinal);
            }
            await using (var creating = Source(stream, ("nats-create-stream", "true"), ("nats-subject", stream + ".in")))
            {
                Assert.Null(await creating.FetchAsync(TimeSpan.Zero, Ct));
            }
            var info = await (await NatsService.JetStreamAsync()).GetStreamAsync(stream, cancellationToken: Ct);
            Assert.Equal([stream + ".in"], info.Info.Config.Subjects!);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task A_consumer_without_explicit_acks_is_refused()
    {
        var stream = NatsService.NewName("ackall");
        await NatsService.CreateStreamAsync(stream);
        try
        {
            var js = await NatsService.JetStreamAsync();
            await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("none") { DurableName = "none", AckPolicy = ConsumerConfigAckPolicy.None }, Ct);
            await using var source = DriverFactory.Source(NatsService.Registry, "nats", NatsService.Flags(("nats-stream", stream), ("nats-consumer", "none")));
            var e = await Assert.ThrowsAsync<DriverException>(() => source.FetchAsync(TimeSpan.Zero, Ct));
            Assert.Equal(FailureKind.Configuration, e.Kind);
            Assert.Contains("explicit acks", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task Pushx_to_a_subject_no_stream_captures_is_a_configuration_error_and_creates_nothing()
    {
        _ = await NatsService.ClientAsync();
        var stream = NatsService.NewName("nostream");
        await using var sink = DriverFactory.Sink(NatsService.Registry, "nats", NatsService.Flags(("nats-stream", stream), ("nats-subject", stream + ".x")));
        var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-nats-create-stream", e.Message, StringComparison.Ordinal);
        var js = await NatsService.JetStreamAsync();
        await Assert.ThrowsAsync<NatsJSApiException>(async () => await js.GetStreamAsync(stream, cancellationToken: Ct));

        await using var creating = DriverFactory.Sink(NatsService.Registry, "nats",
            NatsService.Flags(("nats-stream", stream), ("nats-subject", stream + ".x"), ("nats-create-stream", "true")));
        try
        {
            await creating.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct);
            Assert.Equal(["x"u8.ToArray()], await JetStreamSourceConformanceTests.StoredAsync(stream));
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }
}
