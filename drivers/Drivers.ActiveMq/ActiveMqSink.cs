using System.Text;
using Drivers.ActiveMq.Stomp;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;

namespace Drivers.ActiveMq;

/// <summary>
/// SENDs the input to the same destination procx reads (<see cref="ActiveMqConnectionFactory.ToDestination"/>:
/// the original sent to the bare name while its procx read <c>/TYPE/NAME</c>), as a persistent message with a
/// <c>content-length</c> (so any bytes arrive unchanged), and waits for the broker's RECEIPT: a push that
/// returns has been taken by the broker. Input of known length is streamed into the frame; other input is
/// read whole first (a STOMP frame states its length up front).
/// </summary>
internal sealed class ActiveMqSink(DriverContext context) : ISinkDriver, IFailureTranslator
{
    private readonly ActiveMqConnectionFactory _factory = new(context.Settings, context.Log);
    private readonly ILog _log = context.Log;
    private StompConnection? _connection;

    public DriverException? Translate(Exception error) => _factory.Translate(error);

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is { } broken)
                {
                    await broken.DisposeAsync().ConfigureAwait(false);
                }
                _connection = await _factory.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            var frame = new StompFrame("SEND").With("destination", _factory.Destination).With("persistent", "true");
            if (_connection.Server.StartsWith("RabbitMQ", StringComparison.OrdinalIgnoreCase))
            {
                // RabbitMQ's MESSAGE message-id changes with each delivery: give the message an id of its own.
                frame.With("amqp-message-id", Guid.NewGuid().ToString("N"));
            }
            if (payload.Length is { } length && length > 1024 * 1024)
            {
                frame.With("content-type", "application/octet-stream");
                await using var body = payload.OpenRead();
                await _connection.SendWithReceiptAsync(frame, cancellationToken, body, length).ConfigureAwait(false);
            }
            else
            {
                var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
                frame.With("content-type", IsUtf8(bytes) ? "text/plain;charset=utf-8" : "application/octet-stream");
                var sent = new StompFrame(frame.Command, frame.Headers, bytes);
                await _connection.SendWithReceiptAsync(sent, cancellationToken).ConfigureAwait(false);
            }
            _log.Debug("sent", ("destination", _factory.Destination), ("bytes", payload.Length));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw _factory.Wrap(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            await connection.DisconnectAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(bytes);
            return bytes.AsSpan().IndexOf((byte)0) < 0;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
