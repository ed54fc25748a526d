using System.Text;
using System.Text.Json.Nodes;
using Amazon.SQS.Model;
using Drivers.Conformance;
using Drivers.Core;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Aws.Tests;

/// <summary>What aws-sqs promises beyond the shared suite: leases, fail at once, the original's shapes.</summary>
public sealed class SqsBehaviourTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Failed_message_is_redelivered_at_once()
    {
        // A long queue timeout: without ChangeMessageVisibility 0 the message would stay hidden for 10 minutes.
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 600);
        await queue.SendAsync("{\"id\":1}"u8.ToArray());
        await using var source = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        await using var first = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.NotNull(first);

        await source.FailAsync(first, Ct);

        await using var again = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.NotNull(again);
        Assert.Equal(first.Id, again.Id);
        Assert.Equal("{\"id\":1}"u8.ToArray(), await again.Payload.ReadAllBytesAsync(Ct));
    }

    [Fact]
    public async Task Renewed_lease_keeps_a_long_job_from_a_second_worker()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 2);
        await queue.SendAsync("{\"id\":\"long\"}"u8.ToArray());
        await using var worker = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        await using var other = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        await using var item = await worker.FetchAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.NotNull(item);
        var leased = Assert.IsAssignableFrom<ILeasedSource>(worker);
        Assert.True(leased.LeaseRenewalInterval < TimeSpan.FromSeconds(2), $"renewal every {leased.LeaseRenewalInterval} cannot keep a 2 s lease");

        // The "job" runs three times the visibility timeout; the host's renewal loop, done by hand.
        var until = DateTime.UtcNow.AddSeconds(6);
        while (DateTime.UtcNow < until)
        {
            await leased.RenewLeaseAsync(item, Ct);
            var stolen = await other.FetchAsync(leased.LeaseRenewalInterval, Ct);
            Assert.True(stolen is null, "a second worker received the message while its lease was being renewed");
        }
        await worker.ClearAsync(item, Ct);
        Assert.Empty(await queue.DrainAsync());
    }

    [Fact]
    public async Task Without_renewal_the_message_comes_back_after_its_timeout()
    {
        // The control for the test above: the emulator really does hand out an expired message again.
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 1);
        await queue.SendAsync("{\"id\":\"lost\"}"u8.ToArray());
        await using var worker = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        await using var item = await worker.FetchAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.NotNull(item);
        await using var other = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        WorkItem? again = null;
        for (var i = 0; i < 10 && again is null; i++)
        {
            again = await other.FetchAsync(TimeSpan.FromSeconds(1), Ct);
        }
        Assert.NotNull(again);
        Assert.Equal(item.Id, again.Id);
        await again.DisposeAsync();
    }

    [Fact]
    public async Task Visibility_timeout_setting_overrides_the_queue()
    {
        await using var queue = await SqsQueue.CreateAsync(visibilitySeconds: 600);
        await using var source = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags(("aws-sqs-visibility-timeout", "9s")));
        Assert.Equal(TimeSpan.FromSeconds(3), ((ILeasedSource)source).LeaseRenewalInterval);
    }

    [Fact]
    public async Task Include_id_wraps_the_body_with_the_message_id()
    {
        await using var queue = await SqsQueue.CreateAsync();
        await queue.SendAsync("{\"name\":\"x\"}"u8.ToArray());
        await using var source = DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags(("aws-sqs-include-id", "true")));
        await using var item = await source.FetchAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.NotNull(item);
        var json = JsonNode.Parse(await item.Payload.ReadAllBytesAsync(Ct))!.AsObject();
        Assert.Equal(item.Id, (string?)json["id"]);
        Assert.Equal("{\"name\":\"x\"}", (string?)json["body"]);
        Assert.Equal(2, json.Count);
        await source.ClearAsync(item, Ct);
    }

    [Fact]
    public async Task Sink_sets_templated_message_attributes()
    {
        await using var queue = await SqsQueue.CreateAsync();
        await using (var sink = DriverFactory.Sink(AwsTestServices.Registry, "aws-sqs", queue.Flags(("aws-sqs-message-attributes", "kind={{type}},source=pushx"))))
        {
            await sink.PushAsync(Payload.FromBytes("{\"type\":\"invoice\",\"id\":7}"u8.ToArray()), Ct);
        }
        var message = Assert.Single(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal("invoice", message.MessageAttributes["kind"].StringValue);
        Assert.Equal("pushx", message.MessageAttributes["source"].StringValue);
        Assert.Equal("{\"type\":\"invoice\",\"id\":7}", message.Body);
    }

    [Fact]
    public async Task Sink_sets_fifo_group_and_deduplication_ids()
    {
        await using var queue = await SqsQueue.CreateAsync(fifo: true);
        await using (var sink = DriverFactory.Sink(AwsTestServices.Registry, "aws-sqs", queue.Flags(
            ("aws-sqs-message-group-id", "{{customer}}"), ("aws-sqs-deduplication-id", "order-{{id}}"))))
        {
            await sink.PushAsync(Payload.FromBytes("{\"customer\":\"acme\",\"id\":7}"u8.ToArray()), Ct);
            // Same deduplication id: SQS drops the repeat.
            await sink.PushAsync(Payload.FromBytes("{\"customer\":\"acme\",\"id\":7}"u8.ToArray()), Ct);
        }
        var message = Assert.Single(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
        Assert.Equal("acme", message.Attributes["MessageGroupId"]);
        Assert.Equal("order-7", message.Attributes["MessageDeduplicationId"]);
    }

    [Fact]
    public async Task Sink_refuses_a_group_id_field_the_input_lacks_and_sends_nothing()
    {
        await using var queue = await SqsQueue.CreateAsync(fifo: true);
        await using (var sink = DriverFactory.Sink(AwsTestServices.Registry, "aws-sqs", queue.Flags(("aws-sqs-message-group-id", "{{customer}}"))))
        {
            var e = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("{\"id\":7}"u8.ToArray()), Ct));
            Assert.Equal(FailureKind.Data, e.Kind);
            Assert.Contains("-aws-sqs-message-group-id", e.Message);
            Assert.Contains("no field 'customer'", e.Message);
        }
        Assert.Empty(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Sink_refuses_input_over_the_sqs_limit()
    {
        await using var queue = await SqsQueue.CreateAsync();
        await using var sink = DriverFactory.Sink(AwsTestServices.Registry, "aws-sqs", queue.Flags());
        var big = Encoding.ASCII.GetBytes(new string('a', 256 * 1024 + 1));
        var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes(big), Ct));
        Assert.Contains("256 KiB", error.Message, StringComparison.Ordinal);
        Assert.Empty(await queue.DrainAsync(TimeSpan.FromSeconds(1)));
    }
}
