using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Hosting;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.FileSystem;

/// <summary>
/// Writes the input to <c>-fs-folder</c>/<c>-fs-key</c>. The key may be a template rendered from the JSON
/// input. The file appears atomically: written under a temporary name, then renamed, so a procx watching
/// the folder never takes half a file. Nothing is written through a symbolic link: a linked folder on the
/// way or a link in place of the file is refused (a configuration error, nothing written); the temporary
/// file is created with O_EXCL, which never follows a link.
/// </summary>
internal sealed class FsSink : ISinkDriver
{
    private readonly SettingValues _settings;
    private readonly string _folder;
    private readonly SettingTemplate? _key;

    public FsSink(DriverContext context)
    {
        _settings = context.Settings;
        _folder = Path.GetFullPath(_settings.GetRequiredString(FsSettings.Folder));
        if (File.Exists(_folder) && !Directory.Exists(_folder))
        {
            throw _settings.Invalid(FsSettings.Folder, $"'{ErrorText.OneLine(_folder)}' is not a folder");
        }
        _key = SettingTemplate.Parse(_settings, FsSettings.Key);
        if (_key is { Text: var key })
        {
            if (_key.HasExpressions)
            {
                SafePath.CheckTemplateText(_folder, key, _settings, FsSettings.Key);
            }
            else
            {
                SafeTarget(key, create: false); // a fixed key is checked before the input is read
            }
        }
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (_key?.HasExpressions == true)
        {
            payload = await payload.ToReplayableAsync(cancellationToken).ConfigureAwait(false);
        }
        var key = await RenderKeyAsync(payload, cancellationToken).ConfigureAwait(false);
        var target = SafeTarget(key, create: true);
        var directory = Path.GetDirectoryName(target)!;
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

    /// <summary>The file to write, inside the folder, with no link on the way (folders created one by one) nor in its place.</summary>
    private string SafeTarget(string key, bool create)
    {
        var target = SafePath.Combine(_folder, key, _settings, FsSettings.Key);
        if (create)
        {
            SafePath.CreateFolders(_folder, Path.GetDirectoryName(target)!, _settings, FsSettings.Key);
        }
        if (SafePath.FirstLink(_folder, target, includeLast: true) is { } link)
        {
            throw SafePath.LinkRefused(link, _settings, FsSettings.Key);
        }
        return target;
    }

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
