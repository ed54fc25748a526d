using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>
/// pushx -lines -batch-size into nats through the published executable: core NATS PUBs every line of a batch
/// and flushes once with PING/PONG, JetStream publishes them all and then awaits each PubAck (batches counted
/// from pushx's debug log); every line once, in order, byte-exact; a line the stream refuses (over its
/// max_msg_size) is named while the others of its batch were stored and teed.
/// </summary>
public sealed partial class NatsLineBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>NUL-delimited records holding every other byte value, newlines included.</summary>
    private static List<byte[]> Records(int count) =>
        [.. Enumerable.Range(0, count).Select(i => Enumerable.Range(0, 20 + i % 50).Select(b => (byte)((b * 7 + i) % 255 + 1)).ToArray())];

    [Fact]
    public async Task Core_lines_go_in_batches_and_each_arrives_once_in_order_byte_exact()
    {
        var client = await NatsService.ClientAsync();
        var subject = NatsService.NewName("core") + ".lines";
        await using var sub = await client.SubscribeCoreAsync(subject, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: Ct);
        await client.PingAsync(Ct); // the subscription is on the server before pushx publishes
        var records = Records(2500);

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-batch-size", "1000"],
            Env(("NATS_SUBJECT", subject)), records.SelectMany(rec => rec.Append((byte)0)).ToArray());

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([1000, 1000, 500], Batches(r.Stderr));
        var received = new List<byte[]>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        while (received.Count < records.Count)
        {
            received.Add((await sub.Msgs.ReadAsync(deadline.Token)).Data!);
        }
        Assert.Equal(records, received);
    }

    [Fact]
    public async Task JetStream_lines_go_in_batches_and_each_is_stored_once_in_order_byte_exact()
    {
        var stream = NatsService.NewName("jslines");
        var subject = await NatsService.CreateStreamAsync(stream);
        try
        {
            var records = Records(2500);
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-delimiter", "\\0", "-batch-size", "1000"],
                Env(("NATS_SUBJECT", subject), ("NATS_STREAM", stream)), records.SelectMany(rec => rec.Append((byte)0)).ToArray());

            Assert.True(r.ExitCode == 0, r.ToString());
            Assert.Equal([1000, 1000, 500], Batches(r.Stderr));
            Assert.Equal(records, await StoredAsync(stream, records.Count));
        }
        finally
        {
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    [Fact]
    public async Task JetStream_a_line_over_the_streams_max_msg_size_is_named_and_the_others_are_stored_and_teed()
    {
        var js = await NatsService.JetStreamAsync();
        var stream = NatsService.NewName("jsbig");
        var subject = stream + ".jobs";
        await js.CreateStreamAsync(new StreamConfig(stream, [stream + ".>"]) { Storage = StreamConfigStorage.Memory, MaxMsgSize = 100 }, Ct);
        var tee = Path.Combine(Path.GetTempPath(), $"pushx-nats-tee-{Guid.NewGuid():N}");
        try
        {
            // Line 3 is over 100 bytes: refused in the first batch and once more on its own; lines 6 and 7 are not read.
            var big = new string('x', 150);
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-lines", "-batch-size", "5", "-out", tee],
                Env(("NATS_SUBJECT", subject), ("NATS_STREAM", stream)), Encoding.UTF8.GetBytes($"a\nb\n{big}\nd\ne\nf\ng\n"));

            Assert.True(r.ExitCode == 65, r.ToString()); // this line cannot be stored as it is: a data error
            Assert.Contains("line 3 was not pushed", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("max_msg_size", r.Stderr, StringComparison.Ordinal);
            Assert.Equal(["a", "b", "d", "e"], (await StoredAsync(stream, 4)).Select(b => Encoding.UTF8.GetString(b)));
            Assert.Equal("a\nb\nd\ne\n", await File.ReadAllTextAsync(tee, Ct));
        }
        finally
        {
            File.Delete(tee);
            await NatsService.DeleteStreamAsync(stream);
        }
    }

    /// <summary>The stream's messages in order, read with an ordered consumer; asserts there are exactly <paramref name="count"/>.</summary>
    private static async Task<List<byte[]>> StoredAsync(string stream, int count)
    {
        var js = await NatsService.JetStreamAsync();
        var info = await js.GetStreamAsync(stream, cancellationToken: Ct);
        Assert.Equal(count, info.Info.State.Messages);
        var consumer = await js.CreateOrderedConsumerAsync(stream, cancellationToken: Ct);
        var stored = new List<byte[]>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(10));
        await foreach (var msg in consumer.ConsumeAsync(NatsRawSerializer<byte[]>.Default, cancellationToken: deadline.Token))
        {
            stored.Add(msg.Data!);
            if (stored.Count == count)
            {
                break;
            }
        }
        return stored;
    }

    private static Dictionary<string, string> Env(params (string Name, string Value)[] more)
    {
        var env = EndToEnd.Env("PUSHX", NatsService.Url, more);
        env["LOG_LEVEL"] = "debug";
        return env;
    }

    private static List<int> Batches(string stderr) =>
        [.. BatchLine().Matches(stderr).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [GeneratedRegex(@"batch pushed.*?lines=(\d+)")]
    private static partial Regex BatchLine();
}
