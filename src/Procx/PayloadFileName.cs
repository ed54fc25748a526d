using System.Globalization;
using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Procx;

/// <summary>
/// Where <c>-payload-file</c> puts each job's payload. One path is one job's: with <c>-concurrency</c> &gt; 1
/// every running job gets its own, from a <c>{{job}}</c> placeholder in the file name (the job's id, made
/// safe for a file name) or else a <c>.N</c> suffix, N being the job's slot (1 to -concurrency). The folder
/// is checked when procx starts, before any child runs.
/// </summary>
internal sealed class PayloadFileName
{
    public const string JobPlaceholder = "{{job}}";

    /// <summary>Long ids (a deep S3 key) are cut and made unique with a hash, to fit NAME_MAX (255).</summary>
    private const int MaxJobPart = 120;

    private readonly string _path;
    private readonly bool _perJob;
    private readonly bool _perSlot;
    private readonly SettingValues _settings;
    private readonly HashSet<string> _live = new(StringComparer.Ordinal);
    private readonly SortedSet<int> _slotsInUse = [];
    private readonly Lock _gate = new();

    private PayloadFileName(string path, bool perSlot, SettingValues settings)
    {
        _path = path;
        _perJob = path.Contains(JobPlaceholder, StringComparison.Ordinal);
        _perSlot = perSlot && !_perJob;
        _settings = settings;
    }

    /// <summary>Null without -payload-file; throws a configuration error (78) for a path that cannot work.</summary>
    public static PayloadFileName? From(SettingValues values)
    {
        if (values.GetString(ProcxTool.PayloadFile) is not { Length: > 0 } text)
        {
            return null;
        }
        var full = Path.GetFullPath(text);
        var folder = Path.GetDirectoryName(full);
        if (folder is null || Path.GetFileName(full).Length == 0)
        {
            throw values.Invalid(ProcxTool.PayloadFile, $"'{ErrorText.OneLine(text)}' names a folder, not a file");
        }
        if (folder.Contains(JobPlaceholder, StringComparison.Ordinal))
        {
            throw values.Invalid(ProcxTool.PayloadFile, $"{JobPlaceholder} may appear only in the file name, not in its folder");
        }
        if (!Directory.Exists(folder))
        {
            throw values.Invalid(ProcxTool.PayloadFile, $"the folder of '{ErrorText.OneLine(full)}' does not exist");
        }
        var name = new PayloadFileName(full, values.GetInt(ProcxTool.Concurrency) > 1, values);
        foreach (var path in name.KnownPaths(values.GetInt(ProcxTool.Concurrency)))
        {
            PayloadFile.CheckNotLinked(path, values);
        }
        return name;
    }

    /// <summary>The paths known before any job runs (none with {{job}}): they may not be links already.</summary>
    private IEnumerable<string> KnownPaths(int concurrency) =>
        _perJob ? [] : _perSlot ? Enumerable.Range(1, concurrency).Select(Slotted) : [_path];

    /// <summary>Holds the path for one job until the returned lease is disposed.</summary>
    public Lease Reserve(string job)
    {
        lock (_gate)
        {
            var slot = 0;
            string path;
            if (_perSlot)
            {
                slot = Enumerable.Range(1, _slotsInUse.Count + 1).First(n => !_slotsInUse.Contains(n));
                _slotsInUse.Add(slot);
                path = Slotted(slot);
            }
            else
            {
                path = _perJob ? _path.Replace(JobPlaceholder, SafeJobPart(job), StringComparison.Ordinal) : _path;
                if (!_live.Add(path))
                {
                    // Two running jobs with one id (a redelivered message): hand this one back for later.
                    throw new HostFailureException(FailureKind.Transient, $"payload file '{ErrorText.OneLine(path)}' is in use by another running job with the same id");
                }
            }
            return new Lease(this, path, slot);
        }
    }

    public SettingValues Settings => _settings;

    private string Slotted(int slot) => _path + "." + slot.ToString(CultureInfo.InvariantCulture);

    private void Return(Lease lease)
    {
        lock (_gate)
        {
            _live.Remove(lease.Path);
            _slotsInUse.Remove(lease.Slot);
        }
    }

    /// <summary>
    /// The job's id as one file-name component: letters, digits, '_', '-' and (not first) '.' stay; any
    /// other byte becomes %XX, so two ids never map to the same name and "../x" cannot climb out.
    /// </summary>
    internal static string SafeJobPart(string job)
    {
        var sb = new StringBuilder(job.Length);
        foreach (var b in Encoding.UTF8.GetBytes(job))
        {
            var c = (char)b;
            var plain = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' || (c == '.' && sb.Length > 0);
            sb.Append(plain ? c.ToString() : "%" + b.ToString("X2", CultureInfo.InvariantCulture));
        }
        if (sb.Length == 0)
        {
            return "%00";
        }
        if (sb.Length <= MaxJobPart)
        {
            return sb.ToString();
        }
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(job)), 0, 8);
        return sb.ToString(0, MaxJobPart - 17) + "-" + hash;
    }

    /// <summary>One job's hold on its payload path.</summary>
    public sealed class Lease(PayloadFileName owner, string path, int slot) : IDisposable
    {
        public string Path { get; } = path;

        public int Slot { get; } = slot;

        public void Dispose() => owner.Return(this);
    }
}
