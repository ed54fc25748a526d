using System.Text;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Hosting;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// Turns -in / -in-file / stdin into a payload. Stdin streams straight to the sink unless -out needs the
/// bytes again after the push; then it is spooled to a private temporary file (never held in memory).
/// </summary>
internal static class InputReader
{
    /// <summary>Fails (66, nothing pushed) when there is no input to read: a missing -in-file, or a closed stdin.</summary>
    public static void EnsureAvailable(SettingValues values)
    {
        if (values.IsSet(PushxTool.In))
        {
            return;
        }
        var file = InputFile(values);
        if (file != "-" && !File.Exists(file))
        {
            throw new HostFailureException(FailureKind.Configuration, $"input file '{ErrorText.OneLine(file)}' does not exist (set -in-file or PUSHX_INPUT_FILE)", ExitCodes.NoInput);
        }
        if (file == "-" && !StandardStreams.IsInherited(StandardStreams.Stdin))
        {
            // The parent closed fd 0 (<&-), and the runtime may have reused it for a file of its own
            // (/dev/urandom): reading "stdin" would push that file's bytes.
            throw new HostFailureException(FailureKind.Configuration,
                "no input: stdin is closed; give the input with -in or -in-file (PUSHX_INPUT_STR or PUSHX_INPUT_FILE), or open stdin", ExitCodes.NoInput);
        }
    }

    public static async Task<Payload> OpenAsync(SettingValues values, bool needsReplay, CancellationToken cancellationToken)
    {
        EnsureAvailable(values);
        if (values.IsSet(PushxTool.In))
        {
            return Payload.FromBytes(Encoding.UTF8.GetBytes(values.GetString(PushxTool.In) ?? ""));
        }
        var file = InputFile(values);
        if (file != "-")
        {
            return Payload.FromFile(file);
        }
        var (stdin, length) = StandardInput.Open();
        return needsReplay ? await SpoolAsync(stdin, cancellationToken).ConfigureAwait(false) : Payload.FromStream(stdin, length);
    }

    /// <summary>
    /// True when the input has no bytes at all. In <c>procx app | pushx</c> a failed child prints nothing,
    /// and pushing that nothing would put an empty message into the sink.
    /// </summary>
    public static async Task<(bool Empty, Payload Payload)> PeekEmptyAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (payload.Length is { } known)
        {
            return (known == 0, payload);
        }
        var stream = payload.OpenRead();
        var first = new byte[1];
        var read = await stream.ReadAsync(first, cancellationToken).ConfigureAwait(false);
        return (read == 0, Payload.FromStream(new PrefixedStream(first.AsMemory(0, read), stream)));
    }

    private static string InputFile(SettingValues values) => values.GetString(PushxTool.InFile) ?? "-";

    private static async Task<Payload> SpoolAsync(Stream input, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pushx-{Environment.ProcessId}-{Guid.NewGuid():N}");
        TempFiles.Track(path); // removed on a signal mid-spool; the payload deletes it when disposed
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            await using (var spool = new FileStream(path, options))
            await using (input)
            {
                await input.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            TempFiles.Delete(path);
            throw;
        }
        return Payload.FromFile(path, deleteOnDispose: true);
    }
}
