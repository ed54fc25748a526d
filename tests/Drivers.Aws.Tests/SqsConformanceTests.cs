using System.Text;
using System.Text.Unicode;
using Amazon.SQS;
using Amazon.SQS.Model;
using Drivers.Conformance;
using Drivers.Core.Contracts;

namespace Drivers.Aws.Tests;

/// <summary>A fresh queue on local-aws-sqs, read and written with the SDK's own SQS client.</summary>
internal sealed class SqsQueue : IAsyncDisposable
{
    private SqsQueue(string endpoint, AmazonSQSClient client, string url, int visibilitySeconds)
    {
        Endpoint = endpoint;
        Client = client;
        Url = url;
        VisibilitySeconds = visibilitySeconds;
    }

    public string Endpoint { get; }

    public AmazonSQSClient Client { get; }

    public string Url { get; }

    public int VisibilitySeconds { get; }

    public static async Task<SqsQueue> CreateAsync(int visibilitySeconds = 3, bool fifo = false)
    {
        var endpoint = AwsTestServices.SqsEndpoint();
        var client = AwsTestServices.SqsClient(endpoint);
        var attributes = new Dictionary<string, string> { ["VisibilityTimeout"] = visibilitySeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (fifo)
        {
            attributes["FifoQueue"] = "true";
        }
        var name = AwsTestServices.UniqueName("procx") + (fifo ? ".fifo" : "");
        var created = await client.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = attributes });
        return new SqsQueue(endpoint, client, created.QueueUrl, visibilitySeconds);
    }

    /// <summary>Sends as a producer following the documented convention would: text as is, other bytes base64 with procx-encoding.</summary>
    public Task SendAsync(byte[] payload)
    {
        var text = Utf8.IsValid(payload) && !payload.Any(b => b < 0x20 && b is not (0x9 or 0xA or 0xD));
        var request = new SendMessageRequest { QueueUrl = Url, MessageBody = text ? Encoding.UTF8.GetString(payload) : Convert.ToBase64String(payload) };
        if (!text)
        {
            request.MessageAttributes = new() { ["procx-encoding"] = new MessageAttributeValue { DataType = "String", StringValue = "base64" } };
        }
        return Client.SendMessageAsync(request);
    }

    /// <summary>
    /// Every message still in the queue, visible or not: receives (hiding what it got) until the queue's
    /// visibility timeout has passed with nothing new, so in-flight messages are counted too.
    /// </summary>
    public async Task<List<Message>> DrainAsync(TimeSpan? quietFor = null)
    {
        var quiet = quietFor ?? TimeSpan.FromSeconds(VisibilitySeconds + 1);
        var seen = new Dictionary<string, Message>();
        var lastNew = DateTime.UtcNow;
        while (DateTime.UtcNow - lastNew < quiet)
        {
#pragma warning disable CS0618 // local-aws-sqs reads only the older AttributeNames
            var response = await Client.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                AttributeNames = ["All"],
                QueueUrl = Url,
                MaxNumberOfMessages = 10,
                WaitTimeSeconds = 1,
                VisibilityTimeout = 600,
                MessageAttributeNames = ["All"],
                MessageSystemAttributeNames = ["All"],
            });
#pragma warning restore CS0618
            foreach (var message in response.Messages ?? [])
            {
                if (seen.TryAdd(message.MessageId, message))
                {
                    lastNew = DateTime.UtcNow;
                }
            }
        }
        return [.. seen.Values];
    }

    public static byte[] BodyBytes(Message message) =>
        message.MessageAttributes?.TryGetValue("procx-encoding", out var e) == true && e.StringValue == "base64"
            ? Convert.FromBase64String(message.Body)
            : Encoding.UTF8.GetBytes(message.Body);

    public Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["aws-endpoint-url"] = Endpoint, ["aws-sqs-queue-url"] = Url };
        foreach (var (name, value) in more)
        {
            flags[name] = value;
        }
        return flags;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DeleteQueueAsync(Url);
        }
        catch (AmazonSQSException)
        {
            // Best effort: the emulator keeps queues in memory only.
        }
        Client.Dispose();
    }
}

public sealed class SqsSourceConformanceTests : SourceConformanceTests
{
    /// <summary>
    /// SQS caps a message at 256 KiB, body and attributes together; the random bytes of this test travel
    /// base64-encoded (4/3 larger), so 180 KiB is the largest payload that fits.
    /// </summary>
    protected override int LargePayloadBytes => 180 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new Harness(await SqsQueue.CreateAsync());

    private sealed class Harness(SqsQueue queue) : ISourceHarness
    {
        public ISourceDriver CreateSource() => DriverFactory.Source(AwsTestServices.Registry, "aws-sqs", queue.Flags());

        public Task EnqueueAsync(byte[] payload) => queue.SendAsync(payload);

        public async Task<IReadOnlyList<byte[]>> RecoverableAsync() => [.. (await queue.DrainAsync()).Select(SqsQueue.BodyBytes)];

        public ValueTask DisposeAsync() => queue.DisposeAsync();
    }
}

public sealed class SqsSinkConformanceTests : SinkConformanceTests
{
    /// <summary>SQS caps a message at 256 KiB; random bytes travel base64-encoded, so 180 KiB is the most that fits.</summary>
    protected override int LargePayloadBytes => 180 * 1024;

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await SqsQueue.CreateAsync());

    private sealed class Harness(SqsQueue queue) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(AwsTestServices.Registry, "aws-sqs", queue.Flags());

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            var messages = await queue.DrainAsync(TimeSpan.FromSeconds(1));
            // Standard queues do not promise order; the sink sends one at a time, so SentTimestamp orders them.
            return [.. messages
                .OrderBy(m => long.Parse(m.Attributes?.GetValueOrDefault("SentTimestamp") ?? "0", System.Globalization.CultureInfo.InvariantCulture))
                .Select(SqsQueue.BodyBytes)];
        }

        public ValueTask DisposeAsync() => queue.DisposeAsync();
    }
}
