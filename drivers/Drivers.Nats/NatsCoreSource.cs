using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using NATS.Client.Core;

namespace Drivers.Nats;

/// <summary>
/// Core NATS, as the original: each fetch subscribes to <c>-nats-subject</c> (in <c>-nats-queue-group</c>)
/// for exactly one message (SUB, then UNSUB after one, so the server sends no second message that would be
/// dropped: the original read one message of a buffered channel and threw the rest away). A fetch that waited
/// in vain drains its subscription (UNSUB, then a PING/PONG round trip) and still hands over a message that
/// was on its way. A request's reply subject gets <c>-nats-clear-response</c> or <c>-nats-fail-response</c>
/// once the child has exited. Core NATS keeps nothing: a plain message whose job fails, or that procx held
/// when it died, is gone (at most once), and a message published while no fetch waits is not received.
/// Concurrent fetches of one procx subscribe in a queue group of their own, so the procx gets each message once.
/// </summary>
internal sealed class NatsCoreSource : ISourceDriver, IFailureTranslator
{
    private readonly NatsLink _link;
    private readonly ILog _log;
    private readonly string _subject;
    private readonly string _queueGroup;
    private readonly byte[] _clearResponse;
    private readonly byte[] _failResponse;
    private readonly TimeSpan? _oneShotWait;

    public NatsCoreSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _link = new NatsLink(new NatsConnectionFactory(settings, _log));
        _subject = settings.GetRequiredString(NatsSettings.Subject);
        _queueGroup = settings.GetString(NatsSettings.QueueGroup) is { Length: > 0 } group
            ? group
            : $"procx-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        _clearResponse = Encoding.UTF8.GetBytes(settings.GetString(NatsSettings.ClearResponse) ?? "0");
        _failResponse = Encoding.UTF8.GetBytes(settings.GetString(NatsSettings.FailResponse) ?? "1");
        var wait = settings.GetDuration(NatsSettings.Wait);
        _oneShotWait = wait > TimeSpan.Zero ? wait : null;
    }

    public DriverException? Translate(Exception error) => _link.Factory.Translate(error);

    public Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        _link.RunAsync(async connection =>
        {
            var limit = wait > TimeSpan.Zero ? wait : _oneShotWait ?? Timeout.InfiniteTimeSpan;
            await using var sub = await connection.SubscribeCoreAsync(_subject, _queueGroup, NatsRawSerializer<byte[]>.Default,
                new NatsSubOpts { MaxMsgs = 1 }, cancellationToken).ConfigureAwait(false);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(limit);
            try
            {
                if (await sub.Msgs.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && sub.Msgs.TryRead(out var msg))
                {
                    return ToWorkItem(msg);
                }
                return null;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Waited in vain: stop the subscription, but keep a message the server sent before it saw the UNSUB.
                await sub.DrainAsync(CancellationToken.None).ConfigureAwait(false);
                return sub.Msgs.TryRead(out var late) ? ToWorkItem(late) : null;
            }
        }, cancellationToken);

    private WorkItem ToWorkItem(NatsMsg<byte[]> msg)
    {
        var data = msg.Data ?? [];
        return new WorkItem(Payload.FromBytes(data))
        {
            Key = msg.Subject,
            Receipt = msg.ReplyTo,
        };
    }

    /// <summary>A request gets the clear response; a plain message has nothing to acknowledge.</summary>
    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => ReplyAsync(item, _clearResponse, cancellationToken);

    /// <summary>A request gets the fail response; a plain message cannot be redelivered and is gone.</summary>
    public async Task FailAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.Receipt is null)
        {
            _log.Warn("core NATS cannot redeliver: the failed message is gone (use -nats-stream for at-least-once)", ("subject", item.Key));
        }
        await ReplyAsync(item, _failResponse, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Nothing to hand back to: a requester gets no reply and sees its own timeout.</summary>
    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _log.Warn("core NATS cannot redeliver: the released message is dropped unanswered", ("subject", item.Key));
        return Task.CompletedTask;
    }

    /// <summary>A failed message is gone, so no later fetch sees it: holding it back first would gain nothing.</summary>
    public bool FailSetsAside => true;

    private Task ReplyAsync(WorkItem item, byte[] response, CancellationToken cancellationToken)
    {
        if (item.Receipt is not { } reply)
        {
            return Task.CompletedTask;
        }
        return _link.RunAsync(async connection =>
        {
            await connection.PublishAsync(reply, response, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
            // A round trip: the server has the reply before procx goes on (and maybe exits).
            await connection.PingAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    public ValueTask DisposeAsync() => _link.DisposeAsync();
}
