using System.Buffers;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// -lines: each line of the input (ended by -delimiter) is pushed as its own message as soon as it is read,
/// so a stream that never ends (tail -f) flows through. Memory holds one line. A push that fails stops the
/// run: the error names the line by number, the lines before it were pushed (and teed to -out), the rest
/// were not. Empty lines are skipped unless -push-empty.
/// </summary>
internal static class LinePusher
{
    private const int ReadSize = 1 << 16;

    public static async Task<int> RunAsync(SettingValues values, ISinkDriver sink, Stream input, TeeTarget? tee, ILog log, CancellationToken cancellationToken)
    {
        var delimiter = Delimiter(values);
        var pushEmpty = values.GetBool(PushxTool.PushEmpty);
        var translator = sink as IFailureTranslator;
        var line = new ArrayBufferWriter<byte>();
        var buffer = new byte[ReadSize];
        long number = 0, pushed = 0;
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            var chunk = buffer.AsMemory(0, read);
            int end;
            while ((end = chunk.Span.IndexOf(delimiter)) >= 0)
            {
                line.Write(chunk.Span[..end]);
                chunk = chunk[(end + 1)..];
                number++;
                pushed += await PushAsync(line, number, pushed, delimiter, pushEmpty, sink, translator, tee, cancellationToken).ConfigureAwait(false);
                line.Clear();
            }
            line.Write(chunk.Span);
        }
        if (line.WrittenCount > 0)
        {
            number++;
            pushed += await PushAsync(line, number, pushed, delimiter, pushEmpty, sink, translator, tee, cancellationToken).ConfigureAwait(false);
        }
        log.Info("lines pushed", ("lines", pushed), ("read", number));
        return ExitCodes.Success;
    }

    private static async Task<int> PushAsync(ArrayBufferWriter<byte> line, long number, long pushedBefore, byte delimiter, bool pushEmpty,
        ISinkDriver sink, IFailureTranslator? translator, TeeTarget? tee, CancellationToken cancellationToken)
    {
        if (line.WrittenCount == 0 && !pushEmpty)
        {
            return 0;
        }
        var bytes = line.WrittenSpan.ToArray();
        try
        {
            await using var payload = Payload.FromBytes(bytes);
            await sink.PushAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            var failure = Failure.Of(e, translator);
            throw new HostFailureException(failure.Kind,
                $"line {number} was not pushed: {failure.Message}; the {pushedBefore} lines before it were, the rest were not read",
                failure.ExitCode ?? FailurePolicy.ExitCode(failure.Kind), e);
        }
        if (tee is not null)
        {
            await tee.AppendAsync((byte[])[.. bytes, delimiter], cancellationToken).ConfigureAwait(false);
        }
        return 1;
    }

    /// <summary>-delimiter: one character (its single UTF-8 byte), or \n, \0, \t, \r.</summary>
    private static byte Delimiter(SettingValues values)
    {
        var text = values.GetString(PushxTool.Delimiter) ?? "\\n";
        return text switch
        {
            "\\n" => (byte)'\n',
            "\\0" => 0,
            "\\t" => (byte)'\t',
            "\\r" => (byte)'\r',
            { Length: 1 } c when c[0] < 0x80 => (byte)c[0],
            _ => throw values.Invalid(PushxTool.Delimiter, $"'{ErrorText.OneLine(text)}' is not one ASCII character or \\n, \\0, \\t, \\r"),
        };
    }
}
