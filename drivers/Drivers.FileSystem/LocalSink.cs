using Drivers.Core.Contracts;

namespace Drivers.FileSystem;

/// <summary>Writes the input to stdout, byte for byte.</summary>
internal sealed class LocalSink : ISinkDriver
{
    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        await using var stdout = Console.OpenStandardOutput();
        await using var input = payload.OpenRead();
        await input.CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
