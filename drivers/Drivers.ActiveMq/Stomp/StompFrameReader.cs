using System.Globalization;
using System.Text;

namespace Drivers.ActiveMq.Stomp;

/// <summary>
/// Reads STOMP 1.2 frames from a byte stream: EOLs between frames are heart-beats; a frame is a command line,
/// header lines (LF or CRLF), a blank line, then a body of <c>content-length</c> bytes (or up to the first NUL
/// when there is none) and the NUL that ends it.
/// </summary>
internal sealed class StompFrameReader(Stream stream, int maxBodyBytes = StompFrameReader.DefaultMaxBody)
{
    /// <summary>Larger bodies are refused rather than buffered: 128 MiB, above ActiveMQ's own 100 MiB limit.</summary>
    public const int DefaultMaxBody = 128 * 1024 * 1024;

    private const int MaxLineBytes = 1024 * 1024;

    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Called for every heart-beat EOL and every frame: the connection is alive.</summary>
    public Action? OnActivity { get; set; }

    /// <summary>The next frame, or null at the end of the stream between frames.</summary>
    public async Task<StompFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        string command;
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                return null;
            }
            OnActivity?.Invoke();
            if (line.Length > 0)
            {
                command = line;
                break;
            }
        }
        var escaped = StompFrame.IsEscaped(command);
        var headers = new List<KeyValuePair<string, string>>();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false) ?? throw new EndOfStreamException("the connection closed inside a frame's headers");
            if (line.Length == 0)
            {
                break;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new StompProtocolException($"a header line without a name or a colon in a {command} frame");
            }
            var name = line[..colon];
            var value = line[(colon + 1)..];
            headers.Add(escaped ? new(StompFrame.Unescape(name), StompFrame.Unescape(value)) : new(name, value));
        }
        var frame = new StompFrame(command, headers);
        byte[] body;
        if (frame["content-length"] is { } lengthText)
        {
            if (!int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length > maxBodyBytes)
            {
                throw new StompProtocolException($"unusable content-length '{lengthText}' in a {command} frame");
            }
            body = new byte[length];
            await ReadExactAsync(body, cancellationToken).ConfigureAwait(false);
            if (await ReadByteAsync(cancellationToken).ConfigureAwait(false) != 0)
            {
                throw new StompProtocolException($"a {command} frame's body is not followed by NUL");
            }
        }
        else
        {
            body = await ReadToNulAsync(cancellationToken).ConfigureAwait(false);
        }
        OnActivity?.Invoke();
        return new StompFrame(command, headers, body);
    }

    private async Task<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }
        if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        _end += read;
        if (read > 0)
        {
            OnActivity?.Invoke(); // a long body counts as life too, not only whole frames
        }
        return read > 0;
    }

    /// <summary>One line without its LF or CRLF (UTF-8), or null at the end of the stream before any byte of it.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        using var line = new MemoryStream();
        while (true)
        {
            var lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                line.Write(_buffer, _start, lf - _start);
                _start = lf + 1;
                var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
                if (bytes.Length > 0 && bytes[^1] == (byte)'\r')
                {
                    bytes = bytes[..^1];
                }
                return Encoding.UTF8.GetString(bytes);
            }
            line.Write(_buffer, _start, _end - _start);
            _start = _end;
            if (line.Length > MaxLineBytes)
            {
                throw new StompProtocolException("a header line longer than 1 MiB");
            }
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return line.Length == 0 ? null : throw new EndOfStreamException("the connection closed inside a frame");
            }
        }
    }

    private async Task<byte> ReadByteAsync(CancellationToken cancellationToken)
    {
        if (_start == _end && !await FillAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new EndOfStreamException("the connection closed inside a frame");
        }
        return _buffer[_start++];
    }

    private async Task ReadExactAsync(Memory<byte> target, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < target.Length)
        {
            if (_start == _end)
            {
                // Large bodies go straight from the stream into the target, not through the buffer.
                if (target.Length - filled >= _buffer.Length)
                {
                    var read = await stream.ReadAsync(target[filled..], cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        throw new EndOfStreamException("the connection closed inside a frame's body");
                    }
                    filled += read;
                    OnActivity?.Invoke();
                    continue;
                }
                if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                {
                    throw new EndOfStreamException("the connection closed inside a frame's body");
                }
            }
            var n = Math.Min(_end - _start, target.Length - filled);
            _buffer.AsMemory(_start, n).CopyTo(target[filled..]);
            _start += n;
            filled += n;
        }
    }

    private async Task<byte[]> ReadToNulAsync(CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            var nul = Array.IndexOf(_buffer, (byte)0, _start, _end - _start);
            if (nul >= 0)
            {
                body.Write(_buffer, _start, nul - _start);
                _start = nul + 1;
                return body.ToArray();
            }
            body.Write(_buffer, _start, _end - _start);
            _start = _end;
            if (body.Length > maxBodyBytes)
            {
                throw new StompProtocolException("a frame body without content-length larger than the limit");
            }
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new EndOfStreamException("the connection closed inside a frame's body");
            }
        }
    }
}
