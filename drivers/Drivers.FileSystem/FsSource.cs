using System.Text.RegularExpressions;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Disposition;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.FileSystem;

/// <summary>
/// Takes files from a folder: the first match, in ordinal name order, of <c>-fs-key</c>,
/// <c>-fs-key-prefix</c> or <c>-fs-key-regex</c> among the folder's own files. The file streams to the
/// child. Files another job of this process holds are skipped; files that failed in this process go to the
/// back of the line, so one bad file cannot block the rest.
/// </summary>
internal sealed class FsSource : ISourceDriver, IBatchSource
{
    /// <summary>pushx writes under this prefix, then renames: a half-written file is never taken.</summary>
    internal const string TempPrefix = ".procx-tmp-";

    private readonly string _folder;
    private readonly string? _exactKey;
    private readonly Func<string, bool> _matches;
    private readonly DispositionPlan _clear;
    private readonly DispositionPlan _fail;
    private readonly ILog _log;
    private readonly KeyBook _keys = new();
    private readonly Lock _gate = new();

    public FsSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _folder = Path.GetFullPath(settings.GetRequiredString(FsSettings.Folder));
        _exactKey = settings.GetString(FsSettings.Key) is { Length: > 0 } key ? key : null;
        _matches = BuildMatcher(settings);
        _clear = FsSettings.Clear.Bind(settings, _folder);
        _fail = FsSettings.Fail.Bind(settings, _folder);
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    public Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_folder))
        {
            throw DriverException.Transient($"-fs-folder '{_folder}' does not exist");
        }
        var items = new List<WorkItem>();
        lock (_gate)
        {
            // An exact -fs-key may name a file in a subfolder; the other selectors scan the folder itself.
            var names = _exactKey is not null ? [_exactKey] : Directory.EnumerateFiles(_folder).Select(Path.GetFileName).OfType<string>();
            var candidates = names
                .Where(name => !name.StartsWith(TempPrefix, StringComparison.Ordinal) && _matches(name)
                    && _keys.IsAvailable(name))
                .OrderBy(_keys.FailedLast)
                .ThenBy(name => name, StringComparer.Ordinal);
            foreach (var name in candidates)
            {
                var path = Path.Combine(_folder, name);
                if (!File.Exists(path))
                {
                    continue; // taken or removed since the listing
                }
                _keys.TryTake(name);
                items.Add(new WorkItem(Payload.FromFile(path))
                {
                    Key = name,
                    TemplateData = TemplateData.Empty.With("key", name).With("folder", _folder),
                });
                if (items.Count == max)
                {
                    break;
                }
            }
        }
        return Task.FromResult<IReadOnlyList<WorkItem>>(items);
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => Dispose(item, _clear, "clear");

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => Dispose(item, _fail, "fail");

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _keys.Release(item.Key!);
        return Task.CompletedTask;
    }

    public bool FailSetsAside => _fail.Op != DispositionOp.None;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private Task Dispose(WorkItem item, DispositionPlan plan, string phase)
    {
        var key = item.Key!;
        var path = Path.Combine(_folder, key);
        try
        {
            switch (plan.Op)
            {
                case DispositionOp.Remove:
                    File.Delete(path);
                    break;
                case DispositionOp.Move:
                    var targetKey = plan.TargetKey(key, item.TemplateData ?? TemplateData.Empty);
                    var target = SafePath.Combine(plan.Container, targetKey, $"fs-{phase}-key");
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Move(path, target, overwrite: true);
                    _log.Debug($"{phase}: moved", ("key", key), ("to", target));
                    break;
                case DispositionOp.None when phase == "clear":
                    // Left in place as in the original; remember it so a daemon does not run it again.
                    _keys.ClearedInPlace(key);
                    break;
            }
        }
        finally
        {
            _keys.Settled(key, failed: phase == "fail");
        }
        return Task.CompletedTask;
    }

    private static Func<string, bool> BuildMatcher(Drivers.Core.Settings.SettingValues settings)
    {
        var key = settings.GetString(FsSettings.Key);
        var prefix = settings.GetString(FsSettings.KeyPrefix);
        var regex = settings.GetString(FsSettings.KeyRegex);
        var given = new[] { key, prefix, regex }.Count(v => !string.IsNullOrEmpty(v));
        if (given > 1)
        {
            throw settings.Invalid(FsSettings.Key, "set only one of -fs-key, -fs-key-prefix and -fs-key-regex");
        }
        if (!string.IsNullOrEmpty(key))
        {
            SafePath.Combine(".", key, FsSettings.Key.Name);
            return name => name == key;
        }
        if (!string.IsNullOrEmpty(prefix))
        {
            return name => name.StartsWith(prefix, StringComparison.Ordinal);
        }
        if (!string.IsNullOrEmpty(regex))
        {
            try
            {
                var pattern = new Regex(regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                return pattern.IsMatch;
            }
            catch (ArgumentException e)
            {
                throw settings.Invalid(FsSettings.KeyRegex, $"not a valid regular expression: {e.Message}");
            }
        }
        return _ => true;
    }
}
