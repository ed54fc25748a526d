using System.Text;
using System.Text.Unicode;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;

namespace Procx;

/// <summary>
/// Gets a payload to the child in the ways asked for: PROCX_PAYLOAD, last argument, a file, stdin.
/// A file is written before the child starts; stdin then streams from that file, so both carry the bytes.
/// The file is the job's own (see <see cref="PayloadFileName"/>) and its path is in the child's
/// PROCX_PAYLOAD_PATH. A payload that cannot be delivered as asked (too large, binary for a text channel) is a
/// data error: the work is failed; a payload file that cannot be created is a configuration error.
/// </summary>
internal sealed class PayloadDelivery : IAsyncDisposable
{
    /// <summary>Linux's limit on one argument or env string (MAX_ARG_STRLEN), terminating NUL included.</summary>
    public const int MaxStringBytes = 128 * 1024;

    private const string EnvName = "PROCX_PAYLOAD";

    /// <summary>Where the child finds its payload file: with -concurrency or {{job}} the path is the job's own.</summary>
    private const string PathEnvName = "PROCX_PAYLOAD_PATH";

    private readonly JobOptions _options;
    private readonly Payload _payload;
    private PayloadFileName.Lease? _lease;
    private PayloadFile? _file;

    private PayloadDelivery(JobOptions options, Payload payload)
    {
        _options = options;
        _payload = payload;
    }

    /// <summary>The payload as text for PROCX_PAYLOAD, when that is the delivery.</summary>
    public string? EnvValue { get; private set; }

    /// <summary>The payload as the child's last argument, with -pass-work-as-arg.</summary>
    public string? ArgValue { get; private set; }

    /// <summary>Variables the child gets for this job besides the payload's (PROCX_JOB_ID, PROCX_ATTEMPT).</summary>
    public Dictionary<string, string> JobEnvironment { get; } = new(StringComparer.Ordinal);

    /// <param name="job">The job's id (item id, key or number), for a {{job}} in -payload-file.</param>
    public static async Task<PayloadDelivery> PrepareAsync(JobOptions options, Payload payload, string job, CancellationToken cancellationToken)
    {
        var delivery = new PayloadDelivery(options, payload);
        try
        {
            await delivery.FillAsync(job, cancellationToken).ConfigureAwait(false);
            return delivery;
        }
        catch
        {
            await delivery.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task FillAsync(string job, CancellationToken cancellationToken)
    {
        if (_options.PayloadFile is { } name)
        {
            _lease = name.Reserve(job);
            _file = await PayloadFile.CreateAsync(_lease.Path, _payload, _options.KeepPayloadFile, name.Settings, cancellationToken).ConfigureAwait(false);
        }
        if (_options.PassAsEnv || _options.PassAsArg)
        {
            var text = await ReadAsTextAsync(cancellationToken).ConfigureAwait(false);
            if (_options.PassAsArg)
            {
                ArgValue = text;
            }
            else
            {
                EnvValue = text;
            }
        }
    }

    /// <summary>Opens what the child's stdin streams from: the payload file if there is one, else the payload.</summary>
    public Stream OpenStdinSource() =>
        _file is { } file
            ? new FileStream(file.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16)
            : _payload.OpenRead();

    public async ValueTask DisposeAsync()
    {
        if (_file is { } file)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }
        _lease?.Dispose();
    }

    /// <summary>Adds PROCX_PAYLOAD and PROCX_PAYLOAD_PATH, where they are part of the delivery, to the child's environment.</summary>
    public void AddToEnvironment(IDictionary<string, string?> environment)
    {
        if (EnvValue is { } value)
        {
            environment[EnvName] = value;
        }
        if (_file is { } file)
        {
            environment[PathEnvName] = file.Path;
        }
        foreach (var (name, job) in JobEnvironment)
        {
            environment[name] = job;
        }
    }

    private async Task<string> ReadAsTextAsync(CancellationToken cancellationToken)
    {
        var how = _options.PassAsArg ? "an argument (-pass-work-as-arg)" : "the PROCX_PAYLOAD env var";
        var overhead = _options.PassAsArg ? 1 : EnvName.Length + 2;
        if (_payload.Length is { } known && known + overhead > MaxStringBytes)
        {
            throw TooLarge(known, how);
        }
        byte[] bytes;
        if (_file is { } file)
        {
            bytes = await File.ReadAllBytesAsync(file.Path, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            bytes = await _payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        }
        if (bytes.Length + overhead > MaxStringBytes)
        {
            throw TooLarge(bytes.Length, how);
        }
        if (!Utf8.IsValid(bytes) || bytes.AsSpan().Contains((byte)0))
        {
            throw new HostFailureException(FailureKind.Data,
                $"the payload is binary (not UTF-8 text, or has NUL bytes) and cannot pass through {how} unchanged; use -pass-work-as-stdin or -payload-file");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private static HostFailureException TooLarge(long size, string how) => new(FailureKind.Data,
        $"the payload ({size} bytes) is too large for {how} (limit {MaxStringBytes / 1024} KiB); use -pass-work-as-stdin or -payload-file");
}
