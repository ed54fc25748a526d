using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using RabbitMQ.Client;
using Xunit;

namespace Drivers.RabbitMq.Tests;

/// <summary>
/// What the rabbitmq driver does beyond the shared suite, in-process against the real broker: the one queue
/// declaration both tools share, dead-lettering, exchanges, TLS, and the errors a person sees.
/// </summary>
public sealed class RabbitMqDriverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ISourceDriver Source(Dictionary<string, string> flags) => DriverFactory.Source(RabbitMqService.Registry, "rabbitmq", flags);

    private static ISinkDriver Sink(Dictionary<string, string> flags) => DriverFactory.Sink(RabbitMqService.Registry, "rabbitmq", flags);

    /// <summary>The kind and message the host would see for this exception.</summary>
    private static Failure Classify(Exception e, object driver) => Failure.Of(e, driver as IFailureTranslator);

    [Fact]
    public async Task Pushx_and_procx_share_one_durable_queue_declaration()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("shared");
        try
        {
            // pushx declares it first (durable), procx then declares the same queue without a 405 or 406.
            await using (var sink = Sink(RabbitMqService.Flags(queue)))
            {
                await sink.PushAsync(Payload.FromBytes("one"u8.ToArray()), Ct);
            }
            await using var source = Source(RabbitMqService.Flags(queue));
            await using var item = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
            Assert.NotNull(item);
            Assert.Equal("one"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
            await source.ClearAsync(item, Ct);

            // Durable, and the message was persistent: both survive a broker restart (the e2e test restarts it).
            await using var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct);
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, passive: true, cancellationToken: Ct);
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Published_message_is_persistent_with_an_id()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("persistent");
        try
        {
            await using (var sink = Sink(RabbitMqService.Flags(queue)))
            {
                await sink.PushAsync(Payload.FromBytes("p"u8.ToArray()), Ct);
            }
            await using var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct);
            var got = await channel.BasicGetAsync(queue, autoAck: true, Ct);
            Assert.NotNull(got);
            Assert.True(got.BasicProperties.Persistent);
            Assert.False(string.IsNullOrEmpty(got.BasicProperties.MessageId));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Queue_the_Go_pushx_declared_non_durable_is_a_configuration_error_naming_the_settings_and_passive_uses_it()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("go-pushx");
        try
        {
            await using (var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct))
            {
                await channel.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: false, cancellationToken: Ct);
            }
            await RabbitMqService.PublishAsync(queue, "old"u8.ToArray());

            await using (var source = Source(RabbitMqService.Flags(queue)))
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => source.FetchAsync(TimeSpan.Zero, Ct));
                var failure = Classify(error, source);
                Assert.Equal(FailureKind.Configuration, failure.Kind);
                Assert.Contains("-rabbitmq-durable", failure.Message, StringComparison.Ordinal);
                Assert.Contains("-rabbitmq-passive", failure.Message, StringComparison.Ordinal);
                Assert.Contains("inequivalent arg 'durable'", failure.Message, StringComparison.Ordinal);
            }

            await using var passive = Source(RabbitMqService.Flags(queue, ("rabbitmq-passive", "true")));
            await using var item = await passive.FetchAsync(TimeSpan.FromSeconds(2), Ct);
            Assert.NotNull(item);
            Assert.Equal("old"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
            await passive.ClearAsync(item, Ct);
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Queue_held_exclusive_by_the_Go_procx_is_a_configuration_error_not_a_retry()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("exclusive");
        // As the original procx declares it: exclusive to its connection.
        await using var other = await new ConnectionFactory { Uri = new Uri(RabbitMqService.Url) }.CreateConnectionAsync(Ct);
        await using var channel = await other.CreateChannelAsync(cancellationToken: Ct);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: false, cancellationToken: Ct);

        await using var source = Source(RabbitMqService.Flags(queue, ("rabbitmq-passive", "true")));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        var failure = Classify(error, source);
        Assert.Equal(FailureKind.Configuration, failure.Kind);
        Assert.Contains("exclusive", failure.Message, StringComparison.Ordinal);
        Assert.Contains("-rabbitmq-queue", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_credentials_name_the_url_setting_and_never_print_the_password()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var url = new UriBuilder(RabbitMqService.Url) { UserName = "guest", Password = "s3cret-wrong" }.Uri.ToString();
        await using var source = Source(new() { ["rabbitmq-url"] = url, ["rabbitmq-queue"] = "q" });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        var failure = Classify(error, source);
        Assert.Equal(FailureKind.Configuration, failure.Kind);
        Assert.Contains("-rabbitmq-url", failure.Message, StringComparison.Ordinal);
        Assert.Contains("PROCX_RABBITMQ_URL", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-wrong", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closed_port_is_transient_and_says_where()
    {
        await using var source = Source(new() { ["rabbitmq-url"] = "amqp://guest:hidden-pw@127.0.0.1:1/", ["rabbitmq-queue"] = "q" });
        var error = await Assert.ThrowsAnyAsync<Exception>(() => source.FetchAsync(TimeSpan.Zero, Ct));
        var failure = Classify(error, source);
        Assert.Equal(FailureKind.Transient, failure.Kind);
        Assert.StartsWith("cannot reach rabbitmq at 127.0.0.1:1 (connection refused)", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden-pw", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_url_and_quorum_without_durable_fail_at_start_up()
    {
        var bad = Assert.Throws<DriverException>(() => Source(new() { ["rabbitmq-url"] = "http://x/", ["rabbitmq-queue"] = "q" }));
        Assert.Equal(FailureKind.Configuration, bad.Kind);
        Assert.Contains("-rabbitmq-url", bad.Message, StringComparison.Ordinal);

        var quorum = Assert.Throws<DriverException>(() => Source(new()
        {
            ["rabbitmq-url"] = "amqp://127.0.0.1/", ["rabbitmq-queue"] = "q", ["rabbitmq-queue-type"] = "quorum", ["rabbitmq-durable"] = "false",
        }));
        Assert.Contains("-rabbitmq-durable", quorum.Message, StringComparison.Ordinal);

        var noQueue = Assert.Throws<DriverException>(() => Source(new() { ["rabbitmq-url"] = "amqp://127.0.0.1/" }));
        Assert.Contains("-rabbitmq-queue is required", noQueue.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dead_letter_moves_the_message_to_the_dead_letter_queue_and_fail_requeues()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("dlq");
        var dead = queue + ".failed";
        try
        {
            await using var source = Source(RabbitMqService.Flags(queue, ("rabbitmq-dead-letter-queue", dead)));
            Assert.Null(await source.FetchAsync(TimeSpan.Zero, Ct)); // declares both queues
            await RabbitMqService.PublishAsync(queue, "poison"u8.ToArray(), "fine"u8.ToArray());

            var poison = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
            Assert.NotNull(poison);
            await source.FailAsync(poison, Ct); // back in the queue
            Assert.Equal(2u, await RabbitMqService.ReadyAsync(queue));

            var items = await ((IBatchSource)source).FetchBatchAsync(2, TimeSpan.FromSeconds(2), Ct);
            Assert.Equal(2, items.Count);
            var again = items.Single(i => i.Payload.ReadAllBytesAsync(Ct).Result.SequenceEqual("poison"u8.ToArray()));
            await ((IDeadLetterSource)source).DeadLetterAsync(again, Ct);
            await source.ClearAsync(items.Single(i => i != again), Ct);

            Assert.Equal(["poison"], (await RabbitMqService.PeekAsync(dead)).Select(Encoding.UTF8.GetString));
            Assert.Empty(await RabbitMqService.PeekAsync(queue));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue, dead);
        }
    }

    [Fact]
    public async Task Dead_letter_without_a_dead_letter_place_is_a_configuration_error_and_keeps_the_message()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("no-dlq");
        try
        {
            await RabbitMqService.DeclareAsync(queue);
            await RabbitMqService.PublishAsync(queue, "keep me"u8.ToArray());
            await using (var source = Source(RabbitMqService.Flags(queue)))
            {
                var item = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
                Assert.NotNull(item);
                var error = await Assert.ThrowsAsync<DriverException>(() => ((IDeadLetterSource)source).DeadLetterAsync(item, Ct));
                Assert.Equal(FailureKind.Configuration, error.Kind);
                Assert.Contains("-rabbitmq-dead-letter-queue", error.Message, StringComparison.Ordinal);
            }
            Assert.Equal(["keep me"], (await RabbitMqService.PeekAsync(queue)).Select(Encoding.UTF8.GetString));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }

    [Fact]
    public async Task Message_ttl_expires_messages_to_the_dead_letter_exchange()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("ttl");
        var exchange = queue + ".dlx";
        var dead = queue + ".expired";
        try
        {
            await using (var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct))
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, cancellationToken: Ct);
            }
            var flags = RabbitMqService.Flags(queue, ("rabbitmq-message-ttl", "300ms"), ("rabbitmq-dead-letter-exchange", exchange), ("rabbitmq-dead-letter-queue", dead));
            await using (var sink = Sink(flags))
            {
                await sink.PushAsync(Payload.FromBytes("stale"u8.ToArray()), Ct);
            }
            await ToolProcesses.WaitUntilAsync(async () => (await RabbitMqService.ReadyAsync(dead)) == 1, TimeSpan.FromSeconds(10), "the expired message in the dead-letter queue");
            Assert.Equal(0u, await RabbitMqService.ReadyAsync(queue));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue, dead);
            await using var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct);
            await channel.ExchangeDeleteAsync(exchange, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Sink_publishes_to_an_exchange_with_a_routing_key_and_refuses_unroutable_or_missing_exchanges()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var queue = RabbitMqService.NewQueue("routed");
        var exchange = queue + ".x";
        try
        {
            await RabbitMqService.DeclareAsync(queue);
            await using (var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct))
            {
                await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: true, cancellationToken: Ct);
                await channel.QueueBindAsync(queue, exchange, "order.*", cancellationToken: Ct);
            }
            await using (var sink = Sink(RabbitMqService.Flags(null, ("rabbitmq-exchange", exchange), ("rabbitmq-routing-key", "order.created"))))
            {
                await sink.PushAsync(Payload.FromBytes("{\"id\":7}"u8.ToArray()), Ct);
            }
            Assert.Equal(["{\"id\":7}"], (await RabbitMqService.TakeAllAsync(queue)).Select(Encoding.UTF8.GetString));

            await using (var unroutable = Sink(RabbitMqService.Flags(null, ("rabbitmq-exchange", exchange), ("rabbitmq-routing-key", "invoice.paid"))))
            {
                var error = await Assert.ThrowsAnyAsync<Exception>(() => unroutable.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
                var failure = Classify(error, unroutable);
                Assert.Equal(FailureKind.Configuration, failure.Kind);
                Assert.Contains("unroutable", failure.Message, StringComparison.Ordinal);
                Assert.Contains("invoice.paid", failure.Message, StringComparison.Ordinal);
            }

            await using var missing = Sink(RabbitMqService.Flags(null, ("rabbitmq-exchange", exchange + ".missing")));
            var gone = await Assert.ThrowsAnyAsync<Exception>(() => missing.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));
            var goneFailure = Classify(gone, missing);
            Assert.Equal(FailureKind.Configuration, goneFailure.Kind);
            Assert.Contains("-rabbitmq-exchange", goneFailure.Message, StringComparison.Ordinal);
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
            await using var channel = await (await RabbitMqService.ConnectionAsync()).CreateChannelAsync(cancellationToken: Ct);
            await channel.ExchangeDeleteAsync(exchange, cancellationToken: Ct);
        }
    }

    [Fact]
    public async Task Amqps_with_the_self_signed_ca_round_trips_and_without_it_names_the_ca_setting()
    {
        _ = await RabbitMqService.ConnectionAsync();
        var (url, ca) = RabbitMqService.Tls();
        var queue = RabbitMqService.NewQueue("tls");
        try
        {
            var flags = new Dictionary<string, string> { ["rabbitmq-url"] = url, ["rabbitmq-queue"] = queue, ["rabbitmq-tls-ca-file"] = ca };
            await using (var sink = Sink(flags))
            {
                await sink.PushAsync(Payload.FromBytes("over tls"u8.ToArray()), Ct);
            }
            await using (var source = Source(flags))
            {
                await using var item = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
                Assert.NotNull(item);
                Assert.Equal("over tls"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
                await source.ClearAsync(item, Ct);
            }

            await using var untrusted = Source(new() { ["rabbitmq-url"] = url, ["rabbitmq-queue"] = queue });
            var error = await Assert.ThrowsAnyAsync<Exception>(() => untrusted.FetchAsync(TimeSpan.Zero, Ct));
            var failure = Classify(error, untrusted);
            Assert.Equal(FailureKind.Configuration, failure.Kind);
            Assert.Contains("-rabbitmq-tls-ca-file", failure.Message, StringComparison.Ordinal);

            await using var skipping = Source(new() { ["rabbitmq-url"] = url, ["rabbitmq-queue"] = queue, ["rabbitmq-tls-skip-verify"] = "true" });
            Assert.Null(await skipping.FetchAsync(TimeSpan.Zero, Ct));
        }
        finally
        {
            await RabbitMqService.DeleteAsync(queue);
        }
    }
}
