using System.IO.Pipes;

namespace Procx;

/// <summary>
/// Streams the payload into the child's stdin pipe without ever blocking in write(2), so the feed can be
/// abandoned the moment the child exits. .NET's pipe stream writes block in the kernel and ignore
/// cancellation: a grandchild that inherited stdin and never reads kept the job running (and counted
/// against -timeout) long after the child itself was gone.
/// </summary>
internal static class StdinFeed
{
    /// <summary>
    /// At most this much per write once poll(2) said the pipe can take a write: Linux then has room for at
    /// least one page, so the write cannot block.
    /// </summary>
    private const int Chunk = 4096;

    /// <summary>How often a feed waiting on a full pipe looks whether it was abandoned.</summary>
    private const int PollMs = 100;

    /// <summary>Copies <paramref name="source"/> into <paramref name="pipe"/>; throws IOException when the reader is gone.</summary>
    public static async Task CopyAsync(Stream source, PipeStream pipe, CancellationToken abandon)
    {
        var handle = pipe.SafePipeHandle;
        var added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var fd = (int)handle.DangerousGetHandle();
            var buffer = new byte[1 << 16];
            int read;
            while ((read = await source.ReadAsync(buffer, abandon).ConfigureAwait(false)) > 0)
            {
                WriteAll(fd, buffer.AsSpan(0, read), abandon);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static void WriteAll(int fd, ReadOnlySpan<byte> data, CancellationToken abandon)
    {
        while (!data.IsEmpty)
        {
            abandon.ThrowIfCancellationRequested();
            if (NativeMethods.WaitWritable(fd, PollMs))
            {
                data = data[NativeMethods.Write(fd, data[..Math.Min(Chunk, data.Length)])..];
            }
        }
    }
}
