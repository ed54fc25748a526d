using System.Buffers.Text;
using System.Text;

namespace Drivers.Redis;

/// <summary>One RESP2 reply: its kind (+ - : $ *), its line (a status or an error), and a bulk string's bytes.</summary>
internal readonly record struct RespReply(char Kind, string Text, long Integer, byte[]? Bulk)
{
    public bool IsError => Kind == '-';
}

/// <summary>
/// Reads RESP2 replies from a stream, synchronously or not (<see cref="RedisSinkConnection"/> says when
/// which): a reply is parsed only once it is whole in the buffer. What is not RESP (a TLS server's alert,
/// another protocol) is an InvalidDataException, and a closed connection an EndOfStreamException, so the
/// caller can say which.
/// </summary>
internal sealed class RespReader(Stream stream)
{
    /// <summary>A status, error or length line longer than this is not Redis talking.</summary>
    private const int MaxLine = 64 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _start;
    private int _end;

    public RespReply Read()
    {
        RespReply reply;
        while (!TryTake(out reply))
        {
            Filled(stream.Read(Room()));
        }
        return reply;
    }

    public async Task<RespReply> ReadAsync(CancellationToken cancellationToken)
    {
        RespReply reply;
        while (!TryTake(out reply))
        {
            Filled(await stream.ReadAsync(RoomMemory(), cancellationToken).ConfigureAwait(false));
        }
        return reply;
    }

    /// <summary>The next reply if it is whole in the buffer (an array's elements are checked and dropped: no sink needs them).</summary>
    private bool TryTake(out RespReply reply)
    {
        var position = _start;
        if (!TryParse(ref position, out reply))
        {
            return false;
        }
        _start = position;
        return true;
    }

    private bool TryParse(ref int position, out RespReply reply)
    {
        reply = default;
        var data = _buffer.AsSpan(position, _end - position);
        var lineEnd = data.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return data.Length <= MaxLine ? false : throw new InvalidDataException("a RESP line without an end");
        }
        if (lineEnd == 0)
        {
            throw new InvalidDataException("an empty RESP line");
        }
        var kind = (char)data[0];
        var line = data[1..lineEnd];
        var next = position + lineEnd + 2;
        switch (kind)
        {
            case '+' or '-':
                reply = new RespReply(kind, Encoding.UTF8.GetString(line), 0, null);
                break;
            case ':':
                reply = new RespReply(kind, "", Number(line), null);
                break;
            case '$':
                var length = Number(line);
                if (length >= 0)
                {
                    if (_end - next < length + 2)
                    {
                        return false;
                    }
                    reply = new RespReply(kind, "", length, _buffer.AsSpan(next, (int)length).ToArray());
                    next += (int)length + 2;
                }
                else
                {
                    reply = new RespReply(kind, "", length, null);
                }
                break;
            case '*':
                var count = Number(line);
                for (var i = 0; i < count; i++)
                {
                    if (!TryParse(ref next, out _))
                    {
                        return false;
                    }
                }
                reply = new RespReply(kind, "", count, null);
                break;
            default:
                throw new InvalidDataException("the server's answer is not RESP");
        }
        position = next;
        return true;
    }

    private static long Number(ReadOnlySpan<byte> text) =>
        Utf8Parser.TryParse(text, out long n, out var used) && used == text.Length ? n : throw new InvalidDataException("a RESP length or integer is not a number");

    /// <summary>Free space after the unread bytes, moved to the front first and grown for a long reply.</summary>
    private Span<byte> Room() => RoomMemory().Span;

    private Memory<byte> RoomMemory()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            (_end, _start) = (_end - _start, 0);
        }
        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
        return _buffer.AsMemory(_end);
    }

    private void Filled(int read) => _end += read > 0 ? read : throw new EndOfStreamException("the connection closed");
}
