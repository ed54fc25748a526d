using System.Buffers;
using System.Text;

namespace Drivers.Core.Contracts;

/// <summary>
/// A payload's UTF-8 as one string, for drivers whose client library takes text only as a string (SQL
/// parameters). Decoded straight from the payload's stream into the string when its length is known, so
/// the bytes are not held next to the text: the string (two bytes a character) is the only copy. Invalid
/// UTF-8 becomes U+FFFD, as <see cref="Encoding.UTF8"/> decodes it everywhere else.
/// </summary>
public static class PayloadText
{
    private const int ChunkBytes = 1 << 16;

    public static async Task<string> ReadUtf8StringAsync(this Payload payload, CancellationToken cancellationToken = default)
    {
        if (payload.Length is not { } length || length > Array.MaxLength)
        {
            return Encoding.UTF8.GetString(await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false));
        }
        if (length == 0)
        {
            return "";
        }
        // A UTF-8 text has at most as many characters as bytes, exactly as many when it is ASCII (JSON, base64,
        // most text): the string is made that long and filled as the stream is read.
        var chars = 0;
        var text = string.Create((int)length, payload, (span, p) => chars = Decode(p.OpenRead(), span));
        if (chars == length)
        {
            return text;
        }
        // Multi-byte characters: fewer characters than bytes. A replayable payload is decoded again into a
        // string of the exact size (the first is garbage by then); a stream read once is trimmed (a copy).
        return payload.IsReplayable ? string.Create(chars, payload, (span, p) => Decode(p.OpenRead(), span)) : text[..chars];
    }

    /// <summary>Decodes the stream into <paramref name="target"/>; returns the characters written.</summary>
    private static int Decode(Stream input, Span<char> target)
    {
        var decoder = Encoding.UTF8.GetDecoder();
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            using (input)
            {
                var written = 0;
                int read;
                while ((read = input.Read(buffer, 0, ChunkBytes)) > 0)
                {
                    written += decoder.GetChars(buffer.AsSpan(0, read), target[written..], flush: false);
                }
                return written + decoder.GetChars([], target[written..], flush: true);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
