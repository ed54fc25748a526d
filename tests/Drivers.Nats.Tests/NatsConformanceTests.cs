using System.Collections.Concurrent;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using Xunit;

namespace Drivers.Nats.Tests;

/// <summary>
/// JetStream mode over a work-queue stream, so that what the consumer acked is gone from the stream and
/// "recoverable" is simply every message still stored (read back by sequence with the server's own API).
/// </summary>
public sealed class JetStreamSourceConformanceTests : SourceConformanceTests
{
    // The server's default max_payload is 1 MiB; JetStream adds its own headers.
    protected override int LargePayloadBytes => 900 * 1024;

    protected override TimeSpan RedeliveryWait => TimeSpan.FromSeconds(5);

    protected override async Task<ISourceHarness> CreateHarnessAsync()
    {
        var stream = NatsService.NewName("src");
        var subject = await NatsService.CreateStreamAsync(stream, StreamConfigRetention.Workqueue);
        return new Harness(stream, subject);
    }

    private sealed class Harness(string stream, string subject) : ISourceHarness
    {
        public ISourceDriver CreateSource() => DriverFactory.Source(NatsService.Registry, "nats",
            NatsService.Flags(("nats-stream", stream), ("nats-consumer", "workers"), ("nats-nak-delay", "200ms")));

        public async Task EnqueueAsync(byte[] payload)
        {
            var ack = await (await NatsService.JetStreamAsync()).PublishAsync(subject, payload, NatsRawSerializer<byte[]>.Default);
            ack.EnsureSuccess();
        }

        public Task<IReadOnlyList<byte[]>> RecoverableAsync() => StoredAsync(stream);

        public async ValueTask DisposeAsync() => await NatsService.DeleteStreamAsync(stream);
    }

    /// <summary>Every message stored in the stream, in sequence order.</summary>
    internal static async Task<IReadOnlyList<byte[]>> StoredAsync(string stream)
    {
        var js = await NatsService.JetStreamAsync();
        var info = await js.GetStreamAsync(stream);
        var state = info.Info.State;
        var result = new List<byte[]>();
        if (state.Messages == 0)
        {
            return result;
        }
        for (var seq = state.FirstSeq; seq <= state.LastSeq; seq++)
        {
            try
            {
                var got = await info.GetAsync(new StreamMsgGetRequest { Seq = seq });
                result.Add(got.Message.Data.ToArray());
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                // acked and removed (work-queue retention)
            }
        }
        return result;
    }
}

public sealed class JetStreamSinkConformanceTests : SinkConformanceTests
{
    protected override int LargePayloadBytes => 900 * 1024;

    protected override async Task<ISinkHarness> CreateHarnessAsync()
    {
        var stream = NatsService.NewName("sink");
        var subject = await NatsService.CreateStreamAsync(stream);
        return new Harness(stream, subject);
    }

    private sealed class Harness(string stream, string subject) : ISinkHarness
    {
        public ISinkDriver CreateSink() => DriverFactory.Sink(NatsService.Registry, "nats",
            NatsService.Flags(("nats-stream", stream), ("nats-subject", subject)));

        public Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected) => JetStreamSourceConformanceTests.StoredAsync(stream);

        public async ValueTask DisposeAsync() => await NatsService.DeleteStreamAsync(stream);
    }
}

/// <summary>
/// Core NATS keeps nothing, so "enqueue" sends a request, again and again while NATS answers "no responders",
/// until a fetch of the driver under test has subscribed: the item is a request, and its reply is checked by
/// <see cref="NatsCoreSourceTests"/>.
/// </summary>
public sealed class NatsCoreSourceConformanceTests : SourceConformanceTests
{
    protected override string? NoRedeliveryReason =>
        "core NATS cannot redeliver by design: the server keeps no message, so a failed, released or unsettled one is gone (docs/nats.md); JetStream mode (-nats-stream) passes these";

    protected override int LargePayloadBytes => 900 * 1024;

    protected override async Task<ISourceHarness> CreateHarnessAsync() => new CoreRequestHarness(await NatsService.ClientAsync(), NatsService.NewName("core"));
}

internal sealed class CoreRequestHarness(NatsConnection client, string subject) : ISourceHarness
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _requests = [];

    public ConcurrentQueue<string> Replies { get; } = new();

    public string Subject => subject;

    public ISourceDriver CreateSource(params (string Name, string Value)[] more) => DriverFactory.Source(NatsService.Registry, "nats",
        NatsService.Flags([("nats-subject", subject), ("nats-wait", "300ms"), .. more]));

    public ISourceDriver CreateSource() => CreateSource([]);

    public Task EnqueueAsync(byte[] payload)
    {
        lock (_requests)
        {
            // One at a time, in order: the next request starts once the previous one was delivered.
            var previous = _requests.Count > 0 ? _requests[^1] : Task.CompletedTask;
            _requests.Add(RequestUntilDeliveredAsync(previous, payload));
        }
        return Task.CompletedTask;
    }

    private async Task RequestUntilDeliveredAsync(Task previous, byte[] payload)
    {
        await previous;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var reply = await client.RequestAsync<byte[], byte[]>(subject, payload, requestSerializer: NatsRawSerializer<byte[]>.Default, replySerializer: NatsRawSerializer<byte[]>.Default,
                    replyOpts: new NatsSubOpts { Timeout = TimeSpan.FromSeconds(30) }, cancellationToken: _stop.Token);
                Replies.Enqueue(System.Text.Encoding.UTF8.GetString(reply.Data ?? []));
                return;
            }
            catch (NatsNoRespondersException)
            {
                await Task.Delay(10);
            }
            catch (Exception e) when (e is OperationCanceledException or NatsNoReplyException)
            {
                return;
            }
        }
    }

    public Task<IReadOnlyList<byte[]>> RecoverableAsync() => Task.FromResult<IReadOnlyList<byte[]>>([]);

    public async Task WaitForRepliesAsync(int count) =>
        await ToolProcesses.WaitUntilAsync(() => Task.FromResult(Replies.Count >= count), TimeSpan.FromSeconds(10), $"{count} replies");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Task[] all;
        lock (_requests)
        {
            all = [.. _requests];
        }
        await Task.WhenAll(all);
        _stop.Dispose();
    }
}

public sealed class NatsCoreSinkConformanceTests : SinkConformanceTests
{
    protected override int LargePayloadBytes => 900 * 1024;

    protected override async Task<ISinkHarness> CreateHarnessAsync() => new Harness(await NatsService.ClientAsync());

    /// <summary>Subscribes with the provider's client before the sink publishes, and collects what arrives.</summary>
    private sealed class Harness(NatsConnection client) : ISinkHarness
    {
        private readonly string _subject = NatsService.NewName("core_sink");
        private readonly ConcurrentQueue<byte[]> _received = new();
        private INatsSub<byte[]>? _sub;
        private Task? _reading;

        public ISinkDriver CreateSink()
        {
            if (_sub is null)
            {
                _sub = client.SubscribeCoreAsync(_subject, serializer: NatsRawSerializer<byte[]>.Default).AsTask().GetAwaiter().GetResult();
                client.PingAsync().AsTask().GetAwaiter().GetResult();
                _reading = Task.Run(async () =>
                {
                    await foreach (var msg in _sub.Msgs.ReadAllAsync())
                    {
                        _received.Enqueue(msg.Data ?? []);
                    }
                });
            }
            return DriverFactory.Sink(NatsService.Registry, "nats", NatsService.Flags(("nats-subject", _subject)));
        }

        public async Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected)
        {
            await ToolProcesses.WaitUntilAsync(() => Task.FromResult(_received.Count >= expected), TimeSpan.FromSeconds(10), $"{expected} messages");
            return _received.ToList();
        }

        public async ValueTask DisposeAsync()
        {
            if (_sub is not null)
            {
                await _sub.UnsubscribeAsync();
                await _sub.DisposeAsync();
                await _reading!;
            }
        }
    }
}
