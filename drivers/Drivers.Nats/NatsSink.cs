using Drivers.Core.Contracts;
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
/// read into memory (the server's max_payload caps it, 1 MB by default).
/// </summary>
internal sealed class NatsSink : ISinkDriver, IFailureTranslator
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
            var js = await _link.JetStreamAsync(cancellationToken).ConfigureAwait(false);
            if (_createStream && !_streamChecked)
            {
                await JetStreamSetup.StreamAsync(js, _settings, _stream, _subject, create: true, _log, cancellationToken).ConfigureAwait(false);
                _streamChecked = true;
            }
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
                // 400 "expected stream does not match": the subject is another stream's.
                throw _settings.Invalid(NatsSettings.Stream, $"JetStream refused the message on '{_subject}': {error.Description} ({error.Code}/{error.ErrCode})");
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    private DriverException NoStream(Exception e) =>
        DriverException.Configuration(
            $"no JetStream stream captures the subject '{_subject}' (expected '{_stream}'): create the stream, or set -nats-create-stream ({_settings.Names(NatsSettings.Stream, NatsSettings.Subject)})", e);

    public ValueTask DisposeAsync() => _link.DisposeAsync();
}
