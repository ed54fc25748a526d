using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Drivers.Nats;

/// <summary>
/// Publishes the input on <c>-nats-subject</c>. Core NATS (as the original): a PUB followed by a PING/PONG round
/// trip, so the server has the message when pushx exits 0; with nobody subscribed it is dropped by NATS itself.
/// With <c>-nats-stream</c>: a JetStream publish whose ack must come from that stream, so exit 0 means stored;
/// the stream is created only with <c>-nats-create-stream</c>. A NATS message is sent whole, so the input is
/// read into memory (the server's max_payload caps it, 1 MB by default). A batch (pushx -lines -batch-size)
/// publishes every line, then waits once: one PING/PONG for core NATS, every PubAck for JetStream.
/// </summary>
internal sealed class NatsSink : ISinkDriver, IBatchSink, IFailureTranslator
{
    private readonly NatsLink _link;
    private readonly ILog _log;
    private readonly SettingValues _settings;
    private readonly string _subject;
    private readonly string? _stream;
    private readonly bool _createStream;
    private volatile bool _streamChecked;

    public NatsSink(DriverContext context)
    {
        _settings = context.Settings;
        _log = context.Log;
        _link = new NatsLink(new NatsConnectionFactory(_settings, _log));
        _subject = _settings.GetRequiredString(NatsSettings.Subject);
        _stream = _settings.GetString(NatsSettings.Stream) is { Length: > 0 } s ? s : null;
        _createStream = _settings.GetBool(NatsSettings.CreateStream);
        if (_createStream && _stream is null)
        {
            throw _settings.MissingError(NatsSettings.Stream);
        }
    }

    public DriverException? Translate(Exception error) => _link.Factory.Translate(error);

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        await _link.RunAsync(async connection =>
        {
            if (_stream is null)
            {
                await connection.PublishAsync(_subject, bytes, serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
                await connection.PingAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            var js = await JetStreamAsync(cancellationToken).ConfigureAwait(false);
            PubAckResponse ack;
            try
            {
                ack = await js.PublishAsync(_subject, bytes, NatsRawSerializer<byte[]>.Default, new NatsJSPubOpts { ExpectedStream = _stream }, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (NatsJSPublishNoResponseException e)
            {
                throw NoStream(e);
            }
            catch (NatsNoRespondersException e)
            {
                throw NoStream(e);
            }
            if (ack.Error is { } error)
            {
                throw Refused(error);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    // NATS sets no count on a pipeline; a thousand PubAcks awaited at once bound the client's reply
    // subscriptions and pushx's memory. Each message stays under the server's max_payload on its own.
    public int MaxBatchCount => 1000;

    public long MaxBatchBytes => 64L * 1024 * 1024;

    /// <summary>
    /// Core NATS: every PUB, then one PING/PONG, so the server has them all when this returns. JetStream: every
    /// publish, then each PubAck: a message the stream refuses (over its max_msg_size, say) is refused by its
    /// index while the others were stored. A message over the server's max_payload is refused by the client
    /// before anything is sent. When the call failed as a whole (no stream, the server gone), it throws.
    /// </summary>
    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var rejections = new List<BatchRejection>();
        await _link.RunAsync(async connection =>
        {
            if (_stream is null)
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    try
                    {
                        await connection.PublishAsync(_subject, messages[i], serializer: NatsRawSerializer<ReadOnlyMemory<byte>>.Default, cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                    catch (NatsPayloadTooLargeException e)
                    {
                        rejections.Add(new BatchRejection(i, Translate(e)!));
                    }
                }
                await connection.PingAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            var js = await JetStreamAsync(cancellationToken).ConfigureAwait(false);
            var opts = new NatsJSPubOpts { ExpectedStream = _stream };
            var futures = new List<(int Index, NatsJSPublishConcurrentFuture Future)>(messages.Count);
            try
            {
                for (var i = 0; i < messages.Count; i++)
                {
                    try
                    {
                        futures.Add((i, await js.PublishConcurrentAsync(_subject, messages[i], NatsRawSerializer<ReadOnlyMemory<byte>>.Default, opts, cancellationToken: cancellationToken).ConfigureAwait(false)));
                    }
                    catch (NatsPayloadTooLargeException e)
                    {
                        rejections.Add(new BatchRejection(i, Translate(e)!));
                    }
                }
                var failures = new List<(int Index, Exception Error)>();
                foreach (var (index, future) in futures)
                {
                    try
                    {
                        var ack = await future.GetResponseAsync(cancellationToken).ConfigureAwait(false);
                        if (ack.Error is { } error)
                        {
                            rejections.Add(new BatchRejection(index, Refused(error)));
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        failures.Add((index, e));
                    }
                }
                if (failures.Count > 0 && failures.Count == futures.Count)
                {
                    // Not one ack: nothing is known stored, so the batch failed as a whole.
                    throw failures[0].Error is NatsJSPublishNoResponseException or NatsNoRespondersException ? NoStream(failures[0].Error) : failures[0].Error;
                }
                rejections.AddRange(failures.Select(f => new BatchRejection(f.Index,
                    Translate(f.Error) ?? DriverException.Transient($"no PubAck from JetStream for the message: {ErrorText.Describe(f.Error)}", f.Error))));
            }
            finally
            {
                foreach (var (_, future) in futures)
                {
                    await future.DisposeAsync().ConfigureAwait(false);
                }
            }
        }, cancellationToken).ConfigureAwait(false);
        return rejections.OrderBy(r => r.Index).ToList();
    }

    private async Task<NatsJSContext> JetStreamAsync(CancellationToken cancellationToken)
    {
        var js = await _link.JetStreamAsync(cancellationToken).ConfigureAwait(false);
        if (_createStream && !_streamChecked)
        {
            await JetStreamSetup.StreamAsync(js, _settings, _stream!, _subject, create: true, _log, cancellationToken).ConfigureAwait(false);
            _streamChecked = true;
        }
        return js;
    }

    /// <summary>A PubAck with an error: the stream refused the message.</summary>
    private DriverException Refused(ApiError error)
    {
        var said = $"JetStream refused the message on '{_subject}': {error.Description} ({error.Code}/{error.ErrCode})";
        // 10054: over the stream's max_msg_size. This message cannot be stored as it is; others can.
        // Anything else, e.g. 400 "expected stream does not match" (the subject is another stream's), is the settings'.
        return error.ErrCode == 10054
            ? DriverException.DataError($"{said}: the message is larger than the stream '{_stream}' takes (its max_msg_size)")
            : _settings.Invalid(NatsSettings.Stream, said);
    }

    private DriverException NoStream(Exception e) =>
        DriverException.Configuration(
            $"no JetStream stream captures the subject '{_subject}' (expected '{_stream}'): create the stream, or set -nats-create-stream ({_settings.Names(NatsSettings.Stream, NatsSettings.Subject)})", e);

    public ValueTask DisposeAsync() => _link.DisposeAsync();
}
