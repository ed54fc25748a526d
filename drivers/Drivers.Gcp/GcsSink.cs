using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Writes the input to <c>gs://-gcp-gcs-bucket/-gcp-gcs-key</c>. The key may be a template rendered from
/// the JSON input. Small replayable input goes up in one request; anything else as a resumable upload
/// streamed in 8 MiB chunks, so input of any size passes with one chunk in memory.
/// </summary>
internal sealed class GcsSink : ISinkDriver
{
    private readonly GcsClient _gcs;
    private readonly string _bucket;
    private readonly SettingTemplate? _key;

    public GcsSink(DriverContext context)
    {
        var settings = context.Settings;
        _bucket = settings.GetRequiredString(GcsSettings.Bucket);
        _key = SettingTemplate.Parse(settings, GcsSettings.Key);
        _gcs = new GcsClient(GcpApi.Create(settings, GcpService.Storage, GcpSettings.StorageEmulatorHost));
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        string key;
        if (_key is { HasExpressions: true })
        {
            // A templated key renders from the JSON input, so the input is read whole once (stdin is single-use).
            var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
            key = _key.Render(TemplateData.FromPayloadBytes(bytes));
            if (key.Length == 0)
            {
                throw DriverException.DataError($"{_key.Origin} '{_key.Text}' rendered an empty object name from this input");
            }
            payload = Payload.FromBytes(bytes);
        }
        else
        {
            key = _key?.Text ?? $"{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}";
        }
        if (payload.IsReplayable && payload.Length is { } length && length <= GcsClient.ChunkSize)
        {
            var source = payload;
            await _gcs.UploadMediaAsync(_bucket, key, () =>
            {
                var content = new StreamContent(source.OpenRead());
                content.Headers.ContentType = new("application/octet-stream");
                return content;
            }, cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var input = payload.OpenRead();
        await _gcs.UploadResumableAsync(_bucket, key, input, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
