using System.Text;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;

namespace Procx;

/// <summary>
/// -hold: the caller (an application through a binding, or a script) takes the child's place. stdout gets
/// the line <c>item</c>, the payload, then EOF; the caller answers with one line on stdin: <c>ok</c> clears
/// the item, anything else fails it, and EOF before a line (the caller closed stdin, or died) fails it
/// too, so work is cleared only once the caller said it is done. With no work, stdout gets <c>none</c>.
/// </summary>
internal static class CallerHandOver
{
    public const string ItemHeader = "item\n";
    public const string NoneHeader = "none\n";
    public const string Done = "ok";

    private const string Reader = "with -hold the caller reads the work from stdout";

    /// <summary>The longest verdict line read; a longer one is not "ok" either way.</summary>
    private const int MaxVerdict = 256;

    /// <summary>Writes the item to stdout and waits for the verdict: the exit code a child would have had.</summary>
    public static async Task<int> HandOverAsync(WorkItem item, TimeSpan timeout, string job, ILog log, CancellationToken stopping)
    {
        await StdoutWriter.WriteAsync(ItemHeader, item.Payload, Reader, close: true).ConfigureAwait(false); // EOF ends the payload
        var verdict = ReadVerdictAsync();
        var waited = timeout > TimeSpan.Zero ? Task.Delay(timeout, stopping) : Task.Delay(Timeout.Infinite, stopping);
        if (await Task.WhenAny(verdict, waited).ConfigureAwait(false) != verdict)
        {
            stopping.ThrowIfCancellationRequested();
            log.Warn("job timed out: the caller gave no verdict", ("job", job), ("timeout_ms", (long)timeout.TotalMilliseconds));
            return ExitCodes.Timeout;
        }
        switch (await verdict.ConfigureAwait(false))
        {
            case Done:
                return ExitCodes.Success;
            case null:
                log.Warn("the caller closed stdin without a verdict; the work is failed", ("job", job));
                return 1;
            case var other:
                log.Info("the caller's verdict is not ok; the work is failed", ("job", job), ("verdict", ErrorText.OneLine(other)));
                return 1;
        }
    }

    /// <summary>No work: says so, so a caller can tell it from an empty payload.</summary>
    public static Task WriteNoneAsync() => StdoutWriter.WriteAsync(NoneHeader, null, Reader, close: true);

    /// <summary>The first line on stdin without its line end; null at EOF before anything was written.</summary>
    private static Task<string?> ReadVerdictAsync() => Task.Run(() =>
    {
        using var stdin = Console.OpenStandardInput();
        var line = new List<byte>();
        var one = new byte[1];
        while (stdin.Read(one, 0, 1) == 1)
        {
            if (one[0] == '\n')
            {
                return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            }
            if (line.Count < MaxVerdict)
            {
                line.Add(one[0]);
            }
        }
        // "ok" and then EOF without a line end is still an answer; EOF before anything is none.
        return line.Count > 0 ? Encoding.UTF8.GetString([.. line]).TrimEnd('\r') : null;
    });
}
