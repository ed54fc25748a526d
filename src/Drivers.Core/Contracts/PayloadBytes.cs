namespace Drivers.Core.Contracts;

/// <summary>
/// Reads a stream into one array of exactly its size without the copies a <c>MemoryStream</c> makes
/// (doubling as it grows, then <c>ToArray</c>: up to 3.5 times the payload). With a known length the array
/// is allocated once and filled. Without one (a pipe), the first <see cref="InMemoryLimit"/> bytes are
/// gathered in memory; a longer payload goes on to an unlinked temporary file, whose length is then known,
/// and is read back into one array: memory stays at the payload once plus a constant, where gathering it
/// in memory would hold it twice while copying, and a sink that sends it holds a third copy on top.
/// Without a writable temporary folder, the payload is gathered in memory after all.
/// </summary>
internal static class PayloadBytes
{
    /// <summary>Past this, a payload of unknown length is spooled to a temporary file.</summary>
    internal const int InMemoryLimit = 8 * 1024 * 1024;

    private const int FirstChunk = 64 * 1024;

    public static async Task<byte[]> ReadAllAsync(Stream stream, long? length, CancellationToken cancellationToken = default)
    {
        if (length is { } known && known >= 0 && known <= Array.MaxLength)
        {
            var bytes = GC.AllocateUninitializedArray<byte>((int)known);
            var read = await stream.ReadAtLeastAsync(bytes, bytes.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < bytes.Length)
            {
                return bytes.AsSpan(0, read).ToArray(); // it shrank while being read
            }
            var probe = new byte[1];
            if (await stream.ReadAsync(probe, cancellationToken).ConfigureAwait(false) == 0)
            {
                return bytes;
            }
            // It grew while being read: go on as for a stream of unknown length.
            return await SpoolAsync(stream, [bytes, probe], cancellationToken).ConfigureAwait(false);
        }
        var chunks = new List<byte[]>();
        var total = 0;
        for (var size = FirstChunk; total < InMemoryLimit; size = Math.Min(size * 2, InMemoryLimit - total))
        {
            var chunk = GC.AllocateUninitializedArray<byte>(size);
            var read = await stream.ReadAtLeastAsync(chunk, size, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < size)
            {
                return Concat(chunks, chunk.AsSpan(0, read), total + read);
            }
            chunks.Add(chunk);
            total += read;
        }
        return await SpoolAsync(stream, chunks, cancellationToken).ConfigureAwait(false);
    }

    private static byte[] Concat(List<byte[]> chunks, ReadOnlySpan<byte> last, int total)
    {
        var result = GC.AllocateUninitializedArray<byte>(total);
        var at = 0;
        foreach (var chunk in chunks)
        {
            chunk.CopyTo(result, at);
            at += chunk.Length;
        }
        last.CopyTo(result.AsSpan(at));
        return result;
    }

    /// <summary>
    /// Writes what was read and the rest of the stream to a temporary file, then reads it back whole. Where no
    /// temporary file can be made (a read-only file system), the rest is gathered in memory instead.
    /// </summary>
    private static async Task<byte[]> SpoolAsync(Stream stream, List<byte[]> head, CancellationToken cancellationToken)
    {
        if (CreateSpool() is not { } spool)
        {
            return await GatherAsync(stream, head, cancellationToken).ConfigureAwait(false);
        }
        await using (spool)
        {
            foreach (var chunk in head)
            {
                await spool.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
            head.Clear();
            await stream.CopyToAsync(spool, 1 << 20, cancellationToken).ConfigureAwait(false);
            if (spool.Length > Array.MaxLength)
            {
                throw TooLarge();
            }
            spool.Position = 0;
            var bytes = GC.AllocateUninitializedArray<byte>((int)spool.Length);
            await spool.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
            return bytes;
        }
    }

    /// <summary>A private temporary file, unlinked at once so that nothing is left behind whatever ends the process.</summary>
    private static FileStream? CreateSpool()
    {
        var path = Path.Combine(Path.GetTempPath(), $"procx-payload-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, BufferSize = 0 };
        if (OperatingSystem.IsWindows())
        {
            options.Options = FileOptions.DeleteOnClose;
        }
        else
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        try
        {
            var spool = new FileStream(path, options);
            if (!OperatingSystem.IsWindows())
            {
                File.Delete(path);
            }
            return spool;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The rest of the stream in chunks, then one copy: twice the payload for the moment of the copy.</summary>
    private static async Task<byte[]> GatherAsync(Stream stream, List<byte[]> chunks, CancellationToken cancellationToken)
    {
        var total = chunks.Sum(c => (long)c.Length);
        while (true)
        {
            var chunk = GC.AllocateUninitializedArray<byte>(InMemoryLimit);
            var read = await stream.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (total + read > Array.MaxLength)
            {
                throw TooLarge();
            }
            if (read < chunk.Length)
            {
                return Concat(chunks, chunk.AsSpan(0, read), (int)(total + read));
            }
            chunks.Add(chunk);
            total += read;
        }
    }

    private static DriverException TooLarge() =>
        DriverException.DataError($"the payload is larger than {Array.MaxLength} bytes, the most one value can hold");
}
