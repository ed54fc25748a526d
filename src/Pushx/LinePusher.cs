using System.Buffers;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// -lines: each line of the input (ended by -delimiter) is pushed as its own message as soon as it is read
/// (or, with -batch-size, in batches: <see cref="LineBatch"/>), so a stream that never ends (tail -f) flows
/// through. Memory holds one batch. A push that fails stops the run: the error names the lines by number, the
/// lines before them were pushed (and teed to -out), the rest were not. Empty lines are skipped unless -push-empty.
/// </summary>
internal static class LinePusher
{
    private const int ReadSize = 1 << 16;

    public static async Task<int> RunAsync(SettingValues values, string driver, ISinkDriver sink, Stream input, TeeTarget? tee, ILog log, CancellationToken cancellationToken)
    {
        var delimiter = Delimiter(values);
        var pushEmpty = values.GetBool(PushxTool.PushEmpty);
        var timeout = values.GetDuration(PushxTool.BatchTimeout);
        var batch = LineBatch.For(values, driver, sink, tee, delimiter, log);
        var line = new ArrayBufferWriter<byte>();
        var buffer = new byte[ReadSize];
        long number = 0;
        var reading = input.ReadAsync(buffer, cancellationToken).AsTask();
        while (true)
        {
            if (!batch.IsEmpty && !reading.IsCompleted && !await ReadsWithinAsync(reading, timeout - batch.Age, cancellationToken).ConfigureAwait(false))
            {
                // The input paused with lines waiting: push them rather than hold them until the batch fills.
                await batch.FlushAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            var read = await reading.ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }
            var chunk = buffer.AsMemory(0, read);
            int end;
            while ((end = chunk.Span.IndexOf(delimiter)) >= 0)
            {
                line.Write(chunk.Span[..end]);
                chunk = chunk[(end + 1)..];
                number++;
                await AddAsync(batch, line, number, pushEmpty, cancellationToken).ConfigureAwait(false);
            }
            line.Write(chunk.Span);
            // Only now is the buffer free for the next read.
            reading = input.ReadAsync(buffer, cancellationToken).AsTask();
        }
        if (line.WrittenCount > 0)
        {
            number++;
            await AddAsync(batch, line, number, pushEmpty, cancellationToken).ConfigureAwait(false);
        }
        await batch.FlushAsync(cancellationToken).ConfigureAwait(false);
        log.Info("lines pushed", ("lines", batch.Pushed), ("read", number));
        return ExitCodes.Success;
    }

    private static async Task AddAsync(LineBatch batch, ArrayBufferWriter<byte> line, long number, bool pushEmpty, CancellationToken cancellationToken)
    {
        if (line.WrittenCount > 0 || pushEmpty)
        {
            await batch.AddAsync(line.WrittenSpan.ToArray(), number, cancellationToken).ConfigureAwait(false);
        }
        line.Clear();
    }

    /// <summary>True when the read completes within <paramref name="wait"/>.</summary>
    private static async Task<bool> ReadsWithinAsync(Task<int> reading, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, timer.Token);
        var first = await Task.WhenAny(reading, delay).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == reading;
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
