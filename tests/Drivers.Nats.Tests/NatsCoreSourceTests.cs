using System.Text;
using System.Text.Json;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using NATS.Client.Core;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>Core NATS mode (no -nats-stream) against the real server: replies to requests, one message per fetch.</summary>
public sealed class NatsCoreSourceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Request_is_answered_with_the_clear_response_after_clear_and_the_fail_response_after_fail()
    {
        await using var harness = new CoreRequestHarness(await NatsService.ClientAsync(), NatsService.NewName("reply"));
        await using var source = harness.CreateSource(("nats-clear-response", "OK"), ("nats-fail-response", "FAIL"));
        await harness.EnqueueAsync("first"u8.ToArray());
        await using (var item = await FetchAsync(source))
        {
            Assert.Equal("first"u8.ToArray(), await item.Payload.ReadAllBytesAsync(Ct));
            Assert.NotNull(item.Receipt); // a request: it has a reply subject
            Assert.Empty(harness.Replies); // no answer before the job is settled
            await source.ClearAsync(item, Ct);
        }
        await harness.WaitForRepliesAsync(1);
        await harness.EnqueueAsync("second"u8.ToArray());
        await using (var item = await FetchAsync(source))
        {
            await source.FailAsync(item, Ct);
        }
        await harness.WaitForRepliesAsync(2);
        Assert.Equal(["OK", "FAIL"], harness.Replies.ToArray());
    }

    [Fact]
    public async Task Default_responses_are_0_and_1_as_in_the_original()
    {
        await using var harness = new CoreRequestHarness(await NatsService.ClientAsync(), NatsService.NewName("reply01"));
        await using var source = harness.CreateSource();
        await harness.EnqueueAsync("a"u8.ToArray());
        await using (var item = await FetchAsync(source))
        {
            await source.ClearAsync(item, Ct);
        }
        await harness.WaitForRepliesAsync(1);
        await harness.EnqueueAsync("b"u8.ToArray());
        await using (var item = await FetchAsync(source))
        {
            await source.FailAsync(item, Ct);
        }
        await harness.WaitForRepliesAsync(2);
        Assert.Equal(["0", "1"], harness.Replies.ToArray());
    }

    [Fact]
    public async Task Each_fetch_takes_one_message_and_leaves_the_next_to_another_worker_of_the_queue_group()
    {
        // The original subscribed with a buffered channel, took the first message and dropped the rest on
        // unsubscribe. Here a fetch subscribes for exactly one: the second goes to the other member.
        var client = await NatsService.ClientAsync();
        var subject = NatsService.NewName("qgroup");
        var flags = NatsService.Flags(("nats-subject", subject), ("nats-queue-group", "workers"), ("nats-wait", "10s"));
        await using var a = DriverFactory.Source(NatsService.Registry, "nats", flags);
        await using var b = DriverFactory.Source(NatsService.Registry, "nats", flags);
        var fetchA = a.FetchAsync(TimeSpan.Zero, Ct);
        var fetchB = b.FetchAsync(TimeSpan.Zero, Ct);
        await WaitForSubscriptionsAsync(subject, 2);

        await client.PublishAsync(subject, "m1"u8.ToArray(), serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: Ct);
        await client.PublishAsync(subject, "m2"u8.ToArray(), serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: Ct);

        await using var itemA = await fetchA;
        await using var itemB = await fetchB;
        Assert.NotNull(itemA);
        Assert.NotNull(itemB);
        var got = new[] { Encoding.UTF8.GetString(await itemA.Payload.ReadAllBytesAsync(Ct)), Encoding.UTF8.GetString(await itemB.Payload.ReadAllBytesAsync(Ct)) };
        Assert.Equal(["m1", "m2"], got.Order(StringComparer.Ordinal));
        Assert.Null(itemA.Receipt); // a plain message: nothing to reply to
        await WaitForSubscriptionsAsync(subject, 0); // both unsubscribed after their one message
    }

    [Fact]
    public async Task A_fetch_that_waited_in_vain_returns_no_work_and_unsubscribes()
    {
        _ = await NatsService.ClientAsync();
        var subject = NatsService.NewName("idle");
        await using var source = DriverFactory.Source(NatsService.Registry, "nats", NatsService.Flags(("nats-subject", subject)));
        var started = DateTime.UtcNow;
        Assert.Null(await source.FetchAsync(TimeSpan.FromMilliseconds(300), Ct));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(250));
        await WaitForSubscriptionsAsync(subject, 0);
    }

    private static async Task<WorkItem> FetchAsync(ISourceDriver source)
    {
        WorkItem? item = null;
        await ToolProcesses.WaitUntilAsync(async () => (item = await source.FetchAsync(TimeSpan.FromMilliseconds(500), Ct)) is not null,
            TimeSpan.FromSeconds(10), "a request to arrive");
        return item!;
    }

    /// <summary>Polls the server's monitoring endpoint (/subsz) until <paramref name="count"/> subscriptions on the subject exist.</summary>
    internal static async Task WaitForSubscriptionsAsync(string subject, int count)
    {
        var monitor = NatsService.Monitor;
        if (monitor.Length == 0)
        {
            Assert.Skip("the server's monitoring endpoint is not known (PROCX_TEST_NATS_MONITOR)");
        }
        using var http = new HttpClient();
        await ToolProcesses.WaitUntilAsync(async () => await SubscriptionsAsync(http, monitor, subject) == count, TimeSpan.FromSeconds(10), $"{count} subscriptions on {subject}");
    }

    internal static async Task<int> SubscriptionsAsync(HttpClient http, string monitor, string subject)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"http://{monitor}/subsz?subs=1&limit=100000"));
        return doc.RootElement.TryGetProperty("subscriptions_list", out var list)
            ? list.EnumerateArray().Count(s => s.GetProperty("subject").GetString() == subject)
            : 0;
    }
}
