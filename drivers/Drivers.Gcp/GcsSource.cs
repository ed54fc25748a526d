using System.Text.RegularExpressions;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Disposition;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Takes objects from a bucket: the first match, in name order, of <c>-gcp-gcs-key</c>,
/// <c>-gcp-gcs-key-prefix</c> or <c>-gcp-gcs-key-regex</c>. The object streams to the child (one generation:
/// a replaced object is not mixed in). Clear/fail move (rewrite + delete) or delete that generation only.
/// Objects another job of this process holds are skipped; failed ones go to the back of the line.
/// </summary>
internal sealed class GcsSource : ISourceDriver
{
    private readonly GcsClient _gcs;
    private readonly string _bucket;
    private readonly string? _exactKey;
    private readonly string? _prefix;
    private readonly Regex? _regex;
    private readonly DispositionPlan _clear;
    private readonly DispositionPlan _fail;
    private readonly ILog _log;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failedHere = new(StringComparer.Ordinal);
    private readonly HashSet<(string, long)> _clearedInPlace = [];
    private readonly Lock _gate = new();

    public GcsSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _bucket = settings.GetRequiredString(GcsSettings.Bucket);
        _exactKey = NonEmpty(settings.GetString(GcsSettings.Key));
        _prefix = NonEmpty(settings.GetString(GcsSettings.KeyPrefix));
        var regex = NonEmpty(settings.GetString(GcsSettings.KeyRegex));
        if (new[] { _exactKey, _prefix, regex }.Count(v => v is not null) > 1)
        {
            throw settings.Invalid(GcsSettings.Key, "set only one of -gcp-gcs-key, -gcp-gcs-key-prefix and -gcp-gcs-key-regex");
        }
        if (regex is not null)
        {
            try
            {
                _regex = new Regex(regex, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw settings.Invalid(GcsSettings.KeyRegex, ErrorText.Describe(e));
            }
        }
        _clear = GcsSettings.Clear.Bind(settings, _bucket);
        _fail = GcsSettings.Fail.Bind(settings, _bucket);
        _gcs = new GcsClient(GcpApi.Create(settings, GcpService.Storage, GcpSettings.StorageEmulatorHost));
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        foreach (var candidate in await CandidatesAsync(cancellationToken).ConfigureAwait(false))
        {
            lock (_gate)
            {
                if (!_inFlight.Add(candidate.Name))
                {
                    continue;
                }
            }
            var opened = await _gcs.OpenReadAsync(_bucket, candidate, cancellationToken).ConfigureAwait(false);
            if (opened is not { } body)
            {
                Release(candidate.Name, failed: false);
                continue; // removed or replaced since the listing
            }
            return new WorkItem(Payload.FromStream(body.Stream, body.Length))
            {
                Key = candidate.Name,
                Id = candidate.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture),
                DriverState = candidate,
                TemplateData = TemplateData.Empty.With("key", candidate.Name).With("bucket", _bucket),
            };
        }
        return null;
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, "clear", cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, "fail", cancellationToken);

    /// <summary>No longer running here; whether it failed here before stays as it was (a release is no attempt).</summary>
    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _inFlight.Remove(item.Key!);
        }
        return Task.CompletedTask;
    }

    public bool FailSetsAside => _fail.Op != DispositionOp.None;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<List<GcsObject>> CandidatesAsync(CancellationToken cancellationToken)
    {
        var found = new List<GcsObject>();
        if (_exactKey is not null)
        {
            if (await _gcs.GetAsync(_bucket, _exactKey, cancellationToken).ConfigureAwait(false) is { } one)
            {
                found.Add(one);
            }
        }
        else
        {
            await foreach (var obj in _gcs.ListAsync(_bucket, _prefix, cancellationToken).ConfigureAwait(false))
            {
                // "Folders" made in the console are zero-byte objects ending in '/': never work.
                if (obj.Name.EndsWith('/') || (_regex is not null && !_regex.IsMatch(obj.Name)))
                {
                    continue;
                }
                found.Add(obj);
                // Listing is in name order: the first object free and not failed here is the answer, so a
                // large bucket is not listed to its end on every fetch.
                lock (_gate)
                {
                    if (!_inFlight.Contains(obj.Name) && !_failedHere.Contains(obj.Name) && !_clearedInPlace.Contains((obj.Name, obj.Generation)))
                    {
                        break;
                    }
                }
            }
        }
        lock (_gate)
        {
            return found
                .Where(o => !_clearedInPlace.Contains((o.Name, o.Generation)))
                .OrderBy(o => _failedHere.Contains(o.Name) ? 1 : 0)
                .ThenBy(o => o.Name, StringComparer.Ordinal)
                .ToList();
        }
    }

    private async Task SettleAsync(WorkItem item, DispositionPlan plan, string phase, CancellationToken cancellationToken)
    {
        var obj = (GcsObject)item.DriverState!;
        try
        {
            switch (plan.Op)
            {
                case DispositionOp.Remove:
                    if (!await _gcs.DeleteAsync(_bucket, obj, cancellationToken).ConfigureAwait(false))
                    {
                        _log.Warn($"{phase}: object was already removed or replaced; left as it is", ("key", obj.Name));
                    }
                    break;
                case DispositionOp.Move:
                    var targetKey = plan.TargetKey(obj.Name, item.TemplateData ?? TemplateData.Empty);
                    if (plan.Container == _bucket && targetKey == obj.Name)
                    {
                        break; // moving onto itself: nothing to do
                    }
                    await _gcs.RewriteAsync(_bucket, obj, plan.Container, targetKey, cancellationToken).ConfigureAwait(false);
                    if (!await _gcs.DeleteAsync(_bucket, obj, cancellationToken).ConfigureAwait(false))
                    {
                        _log.Warn($"{phase}: copied, but the source was replaced meanwhile and is kept", ("key", obj.Name));
                    }
                    _log.Debug($"{phase}: moved", ("key", obj.Name), ("to", $"gs://{plan.Container}/{targetKey}"));
                    break;
                case DispositionOp.None when phase == "clear":
                    // Left in place as in the original; remember it so a daemon does not run it again.
                    lock (_gate)
                    {
                        _clearedInPlace.Add((obj.Name, obj.Generation));
                    }
                    break;
            }
        }
        finally
        {
            Release(obj.Name, failed: phase == "fail");
        }
    }

    private void Release(string name, bool failed)
    {
        lock (_gate)
        {
            _inFlight.Remove(name);
            if (failed)
            {
                _failedHere.Add(name);
            }
            else
            {
                _failedHere.Remove(name);
            }
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
