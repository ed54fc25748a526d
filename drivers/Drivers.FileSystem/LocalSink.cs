using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Hosting;

namespace Drivers.FileSystem;

/// <summary>Writes the input to stdout, byte for byte.</summary>
internal sealed class LocalSink : ISinkDriver
{
    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        // Not the console's stream, which drops EPIPE (a reader gone would be a successful push) and, with fd 1
        // closed at start, writes to whatever the runtime opened there.
        try
        {
            await using var stdout = StandardStreams.OpenStdout();
            await using var input = payload.OpenRead();
            cancellationToken.ThrowIfCancellationRequested();
            // Synchronous: an asynchronous copy to a stream without asynchronous writes of its own starts a
            // thread-pool thread for every write (a third of a one-shot `pushx -driver local`'s system time).
            input.CopyTo(stdout);
            stdout.Flush();
        }
        catch (StandardOutputException e)
        {
            // As procx without a command: a local I/O error, exit 74.
            throw new HostFailureException(FailureKind.Configuration, $"the input was not delivered: {e.Message}", ExitCodes.IoError, e);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
