using Drivers.Core.Contracts;
using Drivers.Core.Disposition;
using Drivers.Core.Failures;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.FileSystem;

/// <summary>
/// The fs source's clear or fail op (<c>-fs-clear-op</c>, <c>-fs-clear-folder</c>, <c>-fs-clear-key</c>,
/// <c>-fs-clear-key-template</c> and the <c>fail</c> twins), checked at start-up as far as the settings
/// allow, and applied without passing through a link: a destination folder that is a link, or a link
/// planted in a folder on the way, is refused rather than written through. Errors name the setting that
/// produced the path.
/// </summary>
internal sealed class FsMove
{
    private readonly DispositionSettings _group;
    private readonly SettingValues _settings;
    private readonly DispositionPlan _plan;
    private readonly string _source;
    private readonly string _container;

    public FsMove(DispositionSettings group, SettingValues settings, string sourceFolder)
    {
        _group = group;
        _settings = settings;
        _source = sourceFolder;
        _plan = group.Bind(settings, sourceFolder);
        _container = Path.GetFullPath(_plan.Container);
        if (_plan.Op == DispositionOp.Move)
        {
            CheckAtStartUp();
        }
    }

    public string Phase => _group.Phase;

    public DispositionOp Op => _plan.Op;

    /// <summary>The setting a target path comes from, so an error names the one to change.</summary>
    private Setting KeySetting => _plan.FixedKey is not null ? _group.Key : _plan.KeyTemplate is not null ? _group.KeyTemplate : _group.Container;

    /// <summary>Moves or removes the file of <paramref name="key"/>; returns where it was moved to, or null.</summary>
    public string? Apply(string key, TemplateData data)
    {
        var path = Path.Combine(_source, key);
        if (SafePath.FirstLink(_source, path, includeLast: false) is not null)
        {
            // It was no link when it was taken: someone swapped a folder since. Touch nothing through it.
            throw DriverException.Lost($"a folder on the way to '{ErrorText.OneLine(key)}' was replaced by a symbolic link since it was taken; left as it is");
        }
        try
        {
            switch (_plan.Op)
            {
                case DispositionOp.Remove:
                    File.Delete(path);
                    return null;
                case DispositionOp.Move:
                    var target = SafeTarget(_plan.TargetKey(key, data));
                    File.Move(path, target, overwrite: true);
                    return target;
                default:
                    return null;
            }
        }
        catch (FileNotFoundException) when (!File.Exists(path))
        {
            throw DriverException.Lost($"'{ErrorText.OneLine(key)}' is gone from -fs-folder (another worker moved or removed it)");
        }
        catch (UnauthorizedAccessException)
        {
            var where = _plan.Op == DispositionOp.Remove ? _source : _container;
            throw _settings.Invalid(_plan.Op == DispositionOp.Remove ? FsSettings.Folder : _group.Container,
                $"permission denied to {_group.Phase} '{ErrorText.OneLine(key)}' in '{ErrorText.OneLine(where)}'");
        }
    }

    /// <summary>The destination of a move, its folders created one by one, none of them (nor the file) a link.</summary>
    private string SafeTarget(string targetKey)
    {
        var target = SafePath.Combine(_container, targetKey, _settings, KeySetting);
        if (_settings.IsSet(_group.Container) && SafePath.IsLink(_container))
        {
            throw SafePath.LinkRefused(_container, _settings, _group.Container);
        }
        SafePath.CreateFolders(_container, Path.GetDirectoryName(target)!, _settings, KeySetting);
        if (SafePath.IsLink(target))
        {
            // rename(2) would only replace the link, but a move across file systems copies through it.
            throw SafePath.LinkRefused(target, _settings, KeySetting);
        }
        return target;
    }

    /// <summary>What can be known before any child runs: the folder is no link, a fixed key stays inside it.</summary>
    private void CheckAtStartUp()
    {
        if (_settings.IsSet(_group.Container))
        {
            if (SafePath.IsLink(_container))
            {
                throw SafePath.LinkRefused(_container, _settings, _group.Container);
            }
            if (File.Exists(_container))
            {
                throw _settings.Invalid(_group.Container, $"'{ErrorText.OneLine(_container)}' is not a folder");
            }
        }
        var fixedKey = _plan.FixedKey ?? (_plan.KeyTemplate is { HasExpressions: false } literal ? literal.Text : null);
        if (fixedKey is not null)
        {
            var target = SafePath.Combine(_container, fixedKey, _settings, KeySetting);
            if (SafePath.FirstLink(_container, target, includeLast: true) is { } link)
            {
                throw SafePath.LinkRefused(link, _settings, KeySetting);
            }
        }
        else if (_plan.KeyTemplate is { } template)
        {
            SafePath.CheckTemplateText(_container, template.Text, _settings, _group.KeyTemplate);
        }
    }
}
