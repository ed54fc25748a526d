namespace Drivers.Core.Contracts;

/// <summary>
/// Reads a stream into one array of exactly its size without the copies a <c>MemoryStream</c> makes
/// (doubling as it grows, then <c>ToArray</c>: up to 3.5 times the payload). With a known length the array
/// is allocated once and filled; without, the bytes are gathered in chunks and copied once into the result,
/// so at most twice the payload is held, for the moment of that copy.
/// </summary>
internal static class PayloadBytes
{
    private const int FirstChunk = 64 * 1024;
    private const int LargestChunk = 8 * 1024 * 1024;

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
            // It grew while being read: keep what was read and go on in chunks.
            return await ReadChunkedAsync(stream, [bytes, probe], bytes.LongLength + 1, cancellationToken).ConfigureAwait(false);
        }
        return await ReadChunkedAsync(stream, [], 0, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadChunkedAsync(Stream stream, List<byte[]> full, long total, CancellationToken cancellationToken)
    {
        var size = FirstChunk;
        while (true)
        {
            var chunk = GC.AllocateUninitializedArray<byte>(size);
            var read = await stream.ReadAtLeastAsync(chunk, chunk.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (total + read > Array.MaxLength)
            {
                throw DriverException.DataError($"the payload is larger than {Array.MaxLength} bytes, the most one value can hold");
            }
            if (read < chunk.Length)
            {
                var result = GC.AllocateUninitializedArray<byte>((int)(total + read));
                var at = 0;
                foreach (var part in full)
                {
                    part.CopyTo(result, at);
                    at += part.Length;
                }
                chunk.AsSpan(0, read).CopyTo(result.AsSpan(at));
                return result;
            }
            full.Add(chunk);
            total += read;
            size = Math.Min(size * 2, LargestChunk);
        }
    }
}
