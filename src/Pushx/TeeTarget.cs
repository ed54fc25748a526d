using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Hosting;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// The <c>-out</c> target, opened before the push: an output that cannot be opened must fail before anything
/// is pushed, or a caller that retries on the error pushes the same input twice. The file is opened without
/// truncating it, so a push that then fails leaves an existing file as it was (and a file pushx created is
/// removed). A write that fails after the push has its own exit code: the input is in the sink, do not push it again.
/// </summary>
internal sealed class TeeTarget : IAsyncDisposable
{
    private const string Setting = "-out (PUSHX_OUTPUT)";

    private readonly Stream _stream;
    private readonly string _shown;
    private readonly string? _createdFile;
    private bool _written;

    private TeeTarget(Stream stream, string shown, string? createdFile)
    {
        _stream = stream;
        _shown = shown;
        _createdFile = createdFile;
    }

    /// <summary>Opens -out, or returns null when it is not set.</summary>
    public static TeeTarget? Open(SettingValues values)
    {
        if (values.GetString(PushxTool.Out) is not { Length: > 0 } output)
        {
            return null;
        }
        if (output == "-")
        {
            try
            {
                return new TeeTarget(StandardStreams.OpenStdout(), Show("-"), null);
            }
            catch (StandardOutputException e)
            {
                throw CannotOpen("-", e);
            }
        }
        try
        {
            return OpenFile(output);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotOpen(output, e);
        }
    }

    /// <summary>Writes the pushed input to -out (replacing a file's old content).</summary>
    public async Task WriteAsync(Payload payload, CancellationToken cancellationToken)
    {
        await using var input = payload.OpenRead();
        await AppendAsync(input, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>-lines: writes one pushed line (with its delimiter) after those before it.</summary>
    public Task AppendAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken) =>
        AppendAsync(new MemoryStream(line.ToArray(), writable: false), cancellationToken);

    private async Task AppendAsync(Stream input, CancellationToken cancellationToken)
    {
        try
        {
            if (!_written && _stream.CanSeek)
            {
                _stream.SetLength(0); // a file's old content goes at the first write
            }
            await input.CopyToAsync(_stream, cancellationToken).ConfigureAwait(false);
            await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            _written = true;
            if (_createdFile is not null)
            {
                TempFiles.Forget(_createdFile);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new HostFailureException(FailureKind.Transient,
                $"the input was pushed, but writing it to {Setting} {_shown} failed: {ErrorText.Describe(e)}; do not push it again",
                ExitCodes.PushedButTeeFailed, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (!_written && _createdFile is not null)
        {
            TempFiles.Delete(_createdFile);
        }
    }

    private static TeeTarget OpenFile(string path)
    {
        // No lock (FileShare.ReadWrite): -out may be a device or a file someone tails.
        const FileShare share = FileShare.ReadWrite | FileShare.Delete;
        FileStream created;
        try
        {
            created = new FileStream(path, FileMode.CreateNew, FileAccess.Write, share, 1 << 16);
        }
        catch (IOException) when (File.Exists(path))
        {
            return new TeeTarget(new FileStream(path, FileMode.Open, FileAccess.Write, share, 1 << 16), Show(path), null);
        }
        // Listed once it is ours (never before: the path may be someone's file): a signal before the push
        // completes removes the empty file pushx created.
        TempFiles.Track(path);
        return new TeeTarget(created, Show(path), path);
    }

    private static HostFailureException CannotOpen(string output, Exception e)
    {
        var reason = e switch
        {
            _ when output != "-" && Directory.Exists(output) => "it is a folder",
            DirectoryNotFoundException => "its folder does not exist",
            UnauthorizedAccessException => "permission denied",
            _ => ErrorText.Describe(e),
        };
        return new HostFailureException(FailureKind.Configuration,
            $"cannot open {Setting} {Show(output)} for writing: {reason}; nothing was pushed", ExitCodes.OutputNotOpened, e);
    }

    private static string Show(string output) => output == "-" ? "'-' (stdout)" : $"'{ErrorText.OneLine(output)}'";
}
