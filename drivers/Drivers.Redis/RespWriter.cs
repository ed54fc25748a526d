using System.Buffers;
using System.Globalization;

namespace Drivers.Redis;

/// <summary>
/// Commands as RESP arrays of bulk strings: headers and small values gathered in 64 KB buffers, a large
/// value written from where it is (a batch may be 100,000 values, a value 512 MB).
/// </summary>
internal sealed class RespWriter : IDisposable
{
    private const int Size = 1 << 16;
    private const int CopiedUpTo = 4096;
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private readonly List<ReadOnlyMemory<byte>> _segments = [];
    private readonly List<byte[]> _rented = [];
    private byte[] _buffer = [];
    private int _sealed;
    private int _used;

    public void Command(IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        Header('*', parts.Count);
        foreach (var part in parts)
        {
            Header('$', part.Length);
            Put(part);
            Put(Crlf);
        }
    }

    public void WriteTo(Stream stream)
    {
        Seal();
        foreach (var segment in _segments)
        {
            stream.Write(segment.Span);
        }
        stream.Flush();
    }

    public async Task WriteToAsync(Stream stream, CancellationToken cancellationToken)
    {
        Seal();
        foreach (var segment in _segments)
        {
            await stream.WriteAsync(segment, cancellationToken).ConfigureAwait(false);
        }
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var buffer in _rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Header(char kind, int count)
    {
        Span<byte> header = stackalloc byte[16];
        header[0] = (byte)kind;
        count.TryFormat(header[1..], out var digits, provider: CultureInfo.InvariantCulture);
        header[1 + digits] = (byte)'\r';
        header[2 + digits] = (byte)'\n';
        Copy(header[..(3 + digits)]);
    }

    private void Put(ReadOnlyMemory<byte> data)
    {
        if (data.Length <= CopiedUpTo)
        {
            Copy(data.Span);
            return;
        }
        Seal();
        _segments.Add(data);
    }

    private void Copy(ReadOnlySpan<byte> data)
    {
        if (_used + data.Length > _buffer.Length)
        {
            Seal();
            _buffer = ArrayPool<byte>.Shared.Rent(Size);
            _rented.Add(_buffer);
            (_sealed, _used) = (0, 0);
        }
        data.CopyTo(_buffer.AsSpan(_used));
        _used += data.Length;
    }

    /// <summary>What was copied since the last segment becomes one.</summary>
    private void Seal()
    {
        if (_used > _sealed)
        {
            _segments.Add(_buffer.AsMemory(_sealed, _used - _sealed));
            _sealed = _used;
        }
    }
}
