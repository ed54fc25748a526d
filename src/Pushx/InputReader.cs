using System.Text;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// Turns -in / -in-file / stdin into a payload. Stdin streams straight to the sink unless -out needs the
/// bytes again after the push; then it is spooled to a private temporary file (never held in memory).
/// </summary>
internal static class InputReader
{
    public static async Task<Payload> OpenAsync(SettingValues values, bool needsReplay, CancellationToken cancellationToken)
    {
        if (values.IsSet(PushxTool.In))
        {
            return Payload.FromBytes(Encoding.UTF8.GetBytes(values.GetString(PushxTool.In) ?? ""));
        }
        var file = values.GetString(PushxTool.InFile) ?? "-";
        if (file != "-")
        {
            if (!File.Exists(file))
            {
                throw new CliException($"input file '{file}' does not exist (set -in-file or PUSHX_INPUT_FILE)", ExitCodes.NoInput);
            }
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

    private static async Task<Payload> SpoolAsync(Stream input, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Path.GetTempPath(), $"pushx-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        await using (var spool = new FileStream(path, options))
        await using (input)
        {
            await input.CopyToAsync(spool, cancellationToken).ConfigureAwait(false);
        }
        return Payload.FromFile(path, deleteOnDispose: true);
    }
}
