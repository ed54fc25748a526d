using Drivers.Core.Logging;
using Drivers.Core.Settings;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Drivers.Nats;

/// <summary>Finds -nats-stream, creating it (capturing -nats-subject) only when -nats-create-stream asks.</summary>
internal static class JetStreamSetup
{
    public static async Task<INatsJSStream> StreamAsync(NatsJSContext js, SettingValues settings, string stream, string? subject, bool create, ILog log, CancellationToken cancellationToken)
    {
        try
        {
            return await js.GetStreamAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.Error.Code == 404)
        {
            if (!create)
            {
                throw settings.Invalid(NatsSettings.Stream,
                    $"JetStream has no stream '{stream}': create it (nats stream add), or let procx/pushx create it with -nats-create-stream");
            }
        }
        var created = await js.CreateOrUpdateStreamAsync(new StreamConfig(stream, [subject!]) { Storage = StreamConfigStorage.File }, cancellationToken).ConfigureAwait(false);
        log.Info("created the stream", ("stream", stream), ("subject", subject));
        return created;
    }
}
