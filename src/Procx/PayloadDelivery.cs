using System.Text;
using System.Text.Unicode;
using Drivers.Core;
using Drivers.Core.Contracts;

namespace Procx;

/// <summary>
/// Gets a payload to the child in the ways asked for: PROCX_PAYLOAD, last argument, a file, stdin.
/// A file is written before the child starts; stdin then streams from that file, so both carry the bytes.
/// </summary>
internal sealed class PayloadDelivery : IAsyncDisposable
{
    /// <summary>Linux's limit on one argument or env string (MAX_ARG_STRLEN), terminating NUL included.</summary>
    public const int MaxStringBytes = 128 * 1024;

    private const string EnvName = "PROCX_PAYLOAD";

    private readonly JobOptions _options;
    private readonly Payload _payload;

    private PayloadDelivery(JobOptions options, Payload payload)
    {
        _options = options;
        _payload = payload;
    }

    /// <summary>The payload as text for PROCX_PAYLOAD, when that is the delivery.</summary>
    public string? EnvValue { get; private set; }

    /// <summary>The payload as the child's last argument, with -pass-work-as-arg.</summary>
    public string? ArgValue { get; private set; }

    /// <summary>Variables the child gets for this job besides PROCX_PAYLOAD (PROCX_JOB_ID, PROCX_ATTEMPT).</summary>
    public Dictionary<string, string> JobEnvironment { get; } = new(StringComparer.Ordinal);

    public static async Task<PayloadDelivery> PrepareAsync(JobOptions options, Payload payload, CancellationToken cancellationToken)
    {
        var delivery = new PayloadDelivery(options, payload);
        if (options.PayloadFile is { } path)
        {
            await WriteFileAsync(path, payload, cancellationToken).ConfigureAwait(false);
        }
        if (options.PassAsEnv || options.PassAsArg)
        {
            var text = await ReadAsTextAsync(options, payload, cancellationToken).ConfigureAwait(false);
            if (options.PassAsArg)
            {
                delivery.ArgValue = text;
            }
            else
            {
                delivery.EnvValue = text;
            }
        }
        return delivery;
    }

    /// <summary>Opens what the child's stdin streams from: the payload file if there is one, else the payload.</summary>
    public Stream OpenStdinSource() =>
        _options.PayloadFile is { } path
            ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16)
            : _payload.OpenRead();

    public ValueTask DisposeAsync()
    {
        if (_options.PayloadFile is { } path && !_options.KeepPayloadFile)
        {
            try { File.Delete(path); } catch (IOException) { }
        }
        return ValueTask.CompletedTask;
    }

    public static void AddToEnvironment(IDictionary<string, string?> environment, string value) => environment[EnvName] = value;

    private static async Task WriteFileAsync(string path, Payload payload, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var file = new FileStream(path, options))
        await using (var input = payload.OpenRead())
        {
            await input.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
        }
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the file may have existed
        }
    }

    private static async Task<string> ReadAsTextAsync(JobOptions options, Payload payload, CancellationToken cancellationToken)
    {
        var how = options.PassAsArg ? "an argument (-pass-work-as-arg)" : "the PROCX_PAYLOAD env var";
        var overhead = options.PassAsArg ? 1 : EnvName.Length + 2;
        if (payload.Length is { } known && known + overhead > MaxStringBytes)
        {
            throw TooLarge(known, how);
        }
        byte[] bytes;
        if (options.PayloadFile is { } path)
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        }
        if (bytes.Length + overhead > MaxStringBytes)
        {
            throw TooLarge(bytes.Length, how);
        }
        if (!Utf8.IsValid(bytes) || bytes.AsSpan().Contains((byte)0))
        {
            throw DriverException.DataError(
                $"the payload is binary (not UTF-8 text, or has NUL bytes) and cannot pass through {how} unchanged; use -pass-work-as-stdin or -payload-file");
        }
        return Encoding.UTF8.GetString(bytes);
    }

    private static DriverException TooLarge(long size, string how) => DriverException.DataError(
        $"the payload ({size} bytes) is too large for {how} (limit {MaxStringBytes / 1024} KiB); use -pass-work-as-stdin or -payload-file");
}
