using Drivers.Core.Contracts;
using Drivers.Core.Disposition;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.FileSystem;

/// <summary>
/// Takes files from a folder: the first match, in ordinal name order, of <c>-fs-key</c>,
/// <c>-fs-key-prefix</c> or <c>-fs-key-regex</c> among the folder's own files. The file streams to the
/// child. Files another job of this process holds are skipped; files that failed in this process go to the
/// back of the line, so one bad file cannot block the rest. A symbolic link is never work (it may point
/// anywhere, /etc/shadow included, or nowhere): it is skipped with one warning per name, and no path below
/// the folder is followed through a link, for taking, clearing or failing alike.
/// </summary>
internal sealed class FsSource : ISourceDriver, IBatchSource
{
    /// <summary>pushx writes under this prefix, then renames: a half-written file is never taken.</summary>
    internal const string TempPrefix = ".procx-tmp-";

    private readonly SettingValues _settings;
    private readonly string _folder;
    private readonly string? _exactKey;
    private readonly FsKeyMatcher _matcher;
    private readonly FsMove _clear;
    private readonly FsMove _fail;
    private readonly ILog _log;
    private readonly KeyBook _keys = new();
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public FsSource(DriverContext context)
    {
        _settings = context.Settings;
        _log = context.Log;
        _folder = ExistingFolder(_settings);
        _matcher = FsKeyMatcher.From(_settings);
        _matcher.OnTimeout = name => WarnOnce(name, "skipped: -fs-key-regex took too long on this name; the other files are still matched");
        if (_settings.GetString(FsSettings.Key) is { Length: > 0 } key)
        {
            SafePath.Combine(_folder, key, _settings, FsSettings.Key);
            _exactKey = key;
            ExactKeyPath(); // a linked folder on the way stops procx before any child runs
        }
        _clear = new FsMove(FsSettings.Clear, _settings, _folder);
        _fail = new FsMove(FsSettings.Fail, _settings, _folder);
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)).FirstOrDefault();

    public Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(_folder))
        {
            throw DriverException.Transient($"-fs-folder '{ErrorText.OneLine(_folder)}' does not exist");
        }
        var items = new List<WorkItem>();
        lock (_gate)
        {
            var candidates = Names()
                .Where(name => !name.StartsWith(TempPrefix, StringComparison.Ordinal) && _keys.IsAvailable(name) && _matcher.Matches(name))
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

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => Settle(item, _clear, failed: false);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => Settle(item, _fail, failed: true);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        _keys.Release(item.Key!);
        return Task.CompletedTask;
    }

    public bool FailSetsAside => _fail.Op != DispositionOp.None;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The folder's own regular files; an exact -fs-key may name a file in a subfolder.</summary>
    private IEnumerable<string> Names()
    {
        if (_exactKey is not null)
        {
            // Checked at start-up too; a folder swapped for a link since then stops procx the same way.
            var full = ExactKeyPath();
            if (SafePath.IsLink(full))
            {
                WarnOnce(_exactKey, "skipped: a symbolic link is never taken as work");
                return [];
            }
            return [_exactKey];
        }
        return new DirectoryInfo(_folder).EnumerateFiles().Where(file => !IsLinkWarned(file)).Select(file => file.Name);
    }

    /// <summary>The exact key's path, refused (configuration) when a folder on the way is a link.</summary>
    private string ExactKeyPath()
    {
        var full = Path.Combine(_folder, _exactKey!);
        if (SafePath.FirstLink(_folder, full, includeLast: false) is { } link)
        {
            throw SafePath.LinkRefused(link, _settings, FsSettings.Key);
        }
        return full;
    }

    /// <summary>The listing already knows (lstat) whether an entry is a link, dangling ones included.</summary>
    private bool IsLinkWarned(FileInfo file)
    {
        if ((file.Attributes & FileAttributes.ReparsePoint) == 0)
        {
            return false;
        }
        WarnOnce(file.Name, "skipped: a symbolic link is never taken as work");
        return true;
    }

    private void WarnOnce(string name, string message)
    {
        lock (_warned)
        {
            if (!_warned.Add(name))
            {
                return;
            }
        }
        _log.Warn(message, ("key", ErrorText.OneLine(name)), ("folder", _folder));
    }

    private Task Settle(WorkItem item, FsMove plan, bool failed)
    {
        var key = item.Key!;
        try
        {
            var moved = plan.Apply(key, item.TemplateData ?? TemplateData.Empty);
            if (moved is not null)
            {
                _log.Debug($"{plan.Phase}: moved", ("key", ErrorText.OneLine(key)), ("to", ErrorText.OneLine(moved)));
            }
            else if (plan.Op == DispositionOp.None && !failed)
            {
                // Left in place as in the original; remember it so a daemon does not run it again.
                _keys.ClearedInPlace(key);
            }
        }
        finally
        {
            _keys.Settled(key, failed);
        }
        return Task.CompletedTask;
    }

    /// <summary>-fs-folder must be a folder that exists when procx starts: a typo is a configuration error, not an empty source.</summary>
    private static string ExistingFolder(SettingValues settings)
    {
        var folder = Path.GetFullPath(settings.GetRequiredString(FsSettings.Folder));
        if (Directory.Exists(folder))
        {
            return folder;
        }
        var problem = File.Exists(folder) ? "is not a folder" : "does not exist";
        throw settings.Invalid(FsSettings.Folder, $"'{ErrorText.OneLine(folder)}' {problem}");
    }
}
