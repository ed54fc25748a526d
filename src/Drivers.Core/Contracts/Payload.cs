namespace Drivers.Core.Contracts;

/// <summary>
/// The bytes of one unit of work or one push. Payloads are bytes, never strings: a driver hands over a
/// stream where its provider streams (S3, GCS, files) so that any size passes without being held in memory.
/// A payload may be single-use (<see cref="IsReplayable"/> false): <see cref="OpenRead"/> then works once.
/// </summary>
public abstract class Payload : IAsyncDisposable
{
    /// <summary>Length in bytes when the provider knows it up front.</summary>
    public abstract long? Length { get; }

    /// <summary>True when <see cref="OpenRead"/> may be called more than once.</summary>
    public abstract bool IsReplayable { get; }

    /// <summary>Opens the payload for reading. The caller disposes the stream.</summary>
    public abstract Stream OpenRead();

    /// <summary>
    /// Reads the whole payload into one array. Only for drivers that need it whole (templates, small messages,
    /// a provider that takes one value). Memory: the payload once when its length is known up front (a file,
    /// stdin redirected from a file), else at most twice while reading (<see cref="PayloadBytes"/>).
    /// </summary>
    public virtual async Task<byte[]> ReadAllBytesAsync(CancellationToken cancellationToken = default)
    {
        await using var stream = OpenRead();
        return await PayloadBytes.ReadAllAsync(stream, Length, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// This payload if it can be read again, else its bytes read into memory. For sinks that must look at
    /// the input (to render a key) before sending it.
    /// </summary>
    public async Task<Payload> ToReplayableAsync(CancellationToken cancellationToken = default) =>
        IsReplayable ? this : FromBytes(await ReadAllBytesAsync(cancellationToken).ConfigureAwait(false));

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public static Payload FromBytes(byte[] bytes) => new BytesPayload(bytes);

    /// <summary>A file on disk; <paramref name="deleteOnDispose"/> for spooled temporary files.</summary>
    public static Payload FromFile(string path, bool deleteOnDispose = false) => new FilePayload(path, deleteOnDispose);

    /// <summary>A stream that can be read once (a network body, stdin).</summary>
    public static Payload FromStream(Stream stream, long? length = null) => new StreamPayload(stream, length);
}

internal sealed class BytesPayload(byte[] bytes) : Payload
{
    public override long? Length => bytes.Length;
    public override bool IsReplayable => true;
    public override Stream OpenRead() => new MemoryStream(bytes, writable: false);
    public override Task<byte[]> ReadAllBytesAsync(CancellationToken cancellationToken = default) => Task.FromResult(bytes);
}

internal sealed class FilePayload(string path, bool deleteOnDispose) : Payload
{
    public override long? Length => new FileInfo(path).Length;
    public override bool IsReplayable => true;

    public override Stream OpenRead() =>
        new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: false);

    public override ValueTask DisposeAsync()
    {
        if (deleteOnDispose)
        {
            Hosting.TempFiles.Delete(path); // also forgets it, if it was listed for removal on a signal
        }
        return base.DisposeAsync();
    }
}

internal sealed class StreamPayload(Stream stream, long? length) : Payload
{
    private int _opened;

    public override long? Length => length;
    public override bool IsReplayable => false;

    public override Stream OpenRead()
    {
        if (Interlocked.Exchange(ref _opened, 1) != 0)
        {
            throw new InvalidOperationException("This payload is a single-use stream and was already read.");
        }
        return stream;
    }

    public override async ValueTask DisposeAsync()
    {
        await stream.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
