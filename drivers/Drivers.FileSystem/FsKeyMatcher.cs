using System.Text.RegularExpressions;
using Drivers.Core.Settings;

namespace Drivers.FileSystem;

/// <summary>
/// Which file names <c>-fs-key</c>, <c>-fs-key-prefix</c> or <c>-fs-key-regex</c> select. A regex that runs
/// past its time limit on one name (catastrophic backtracking: <c>^(a+)+$</c> against <c>aaaa…!</c>) makes
/// that one name unmatched, remembered so it costs its second only once, and the others are still matched.
/// </summary>
internal sealed class FsKeyMatcher
{
    /// <summary>Per name; a pathological pattern spends at most this once per name.</summary>
    private static readonly TimeSpan RegexLimit = TimeSpan.FromSeconds(1);

    private readonly Func<string, bool> _matches;
    private readonly HashSet<string> _timedOut = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private FsKeyMatcher(Func<string, bool> matches) => _matches = matches;

    /// <summary>Called once per name whose match timed out.</summary>
    public Action<string>? OnTimeout { get; set; }

    public static FsKeyMatcher From(SettingValues settings)
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
            return new FsKeyMatcher(name => name == key);
        }
        if (!string.IsNullOrEmpty(prefix))
        {
            return new FsKeyMatcher(name => name.StartsWith(prefix, StringComparison.Ordinal));
        }
        if (!string.IsNullOrEmpty(regex))
        {
            try
            {
                return new FsKeyMatcher(new Regex(regex, RegexOptions.CultureInvariant, RegexLimit).IsMatch);
            }
            catch (ArgumentException)
            {
                // The runtime's own text is a resource key in the AOT build: say it plainly.
                throw settings.Invalid(FsSettings.KeyRegex, $"'{Core.Failures.ErrorText.OneLine(regex)}' is not a valid regular expression");
            }
        }
        return new FsKeyMatcher(_ => true);
    }

    public bool Matches(string name)
    {
        lock (_gate)
        {
            if (_timedOut.Contains(name))
            {
                return false;
            }
        }
        try
        {
            return _matches(name);
        }
        catch (RegexMatchTimeoutException)
        {
            lock (_gate)
            {
                _timedOut.Add(name);
            }
            OnTimeout?.Invoke(name);
            return false;
        }
    }
}
