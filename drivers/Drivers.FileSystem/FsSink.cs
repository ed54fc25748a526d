using Drivers.Core.Contracts;
using Drivers.Core.Hosting;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.FileSystem;

/// <summary>
/// Writes the input to <c>-fs-folder</c>/<c>-fs-key</c>. The key may be a template rendered from the JSON
/// input. The file appears atomically: written under a temporary name, then renamed, so a procx watching
/// the folder never takes half a file.
/// </summary>
internal sealed class FsSink : ISinkDriver
{
    private readonly string _folder;
    private readonly SettingTemplate? _key;

    public FsSink(DriverContext context)
    {
        var settings = context.Settings;
        _folder = Path.GetFullPath(settings.GetRequiredString(FsSettings.Folder));
        _key = SettingTemplate.Parse(settings, FsSettings.Key);
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (_key?.HasExpressions == true)
        {
            payload = await payload.ToReplayableAsync(cancellationToken).ConfigureAwait(false);
        }
        var key = await RenderKeyAsync(payload, cancellationToken).ConfigureAwait(false);
        var target = SafePath.Combine(_folder, key, FsSettings.Key.Name);
        var directory = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, FsSource.TempPrefix + Guid.NewGuid().ToString("N"));
        TempFiles.Track(temp); // a signal mid-write must not leave it behind
        try
        {
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            await using (var input = payload.OpenRead())
            {
                await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            TempFiles.Delete(temp);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<string> RenderKeyAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (_key is null)
        {
            return $"{DateTime.UtcNow:yyyyMMddTHHmmssfffZ}-{Guid.NewGuid():N}";
        }
        if (!_key.HasExpressions)
        {
            return _key.Text;
        }
        // Only a templated key needs the input whole, and then only as JSON to render from.
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        return _key.Render(TemplateData.FromPayloadBytes(bytes));
    }
}
