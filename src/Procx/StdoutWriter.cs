using System.Text;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Hosting;

namespace Procx;

/// <summary>
/// Everything procx writes to stdout as data (a payload without a command, -hold's hand-over, -k8s-manifest):
/// through a stream that reports EPIPE (Console.OpenStandardOutput drops it, and a payload nobody received
/// would be cleared), and one error for all of it: a stdout that is closed or whose reader has gone stays so
/// for the life of the process, so it is a configuration failure (exit 74) rather than one to retry.
/// </summary>
internal static class StdoutWriter
{
    /// <param name="header">Written first (-hold's "item"/"none" line), or null.</param>
    /// <param name="payload">Streamed after the header, or null.</param>
    /// <param name="purpose">Says who reads stdout, for the error: "with -hold the caller reads it from stdout".</param>
    /// <param name="close">End stdout afterwards (EOF for the reader) while procx goes on.</param>
    public static async Task WriteAsync(string? header, Payload? payload, string purpose, bool close = false)
    {
        try
        {
            await using (var stdout = StandardStreams.OpenStdout())
            {
                if (header is not null)
                {
                    await stdout.WriteAsync(Encoding.UTF8.GetBytes(header)).ConfigureAwait(false);
                }
                if (payload is not null)
                {
                    await using var body = payload.OpenRead();
                    await body.CopyToAsync(stdout).ConfigureAwait(false);
                }
                await stdout.FlushAsync().ConfigureAwait(false);
            }
            if (close)
            {
                StandardStreams.CloseStdout();
            }
        }
        catch (StandardOutputException e)
        {
            throw new HostFailureException(FailureKind.Configuration, $"the {(payload is null ? "output" : "payload")} was not delivered: {e.Message}; {purpose}", ExitCodes.IoError, e);
        }
    }
}
