using System.Runtime.InteropServices;

namespace Drivers.Core.Hosting;

/// <summary>
/// A write-only stream over a file descriptor the process does not own (fd 1), with plain write(2) calls:
/// every error surfaces as <see cref="StandardOutputException"/>. Not a FileStream: on a regular file that
/// writes with pwrite at a position of its own, which overwrites what another writer sharing the descriptor
/// (stderr in <c>&gt; log 2&gt;&amp;1</c>, an earlier job's output) put there.
/// </summary>
internal sealed class DescriptorWriteStream(int fd, string name) : Stream
{
    private const int EINTR = 4;
    private const int EAGAIN_LINUX = 11;
    private const int EAGAIN_BSD = 35;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var written = SysWrite(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length);
            if (written >= 0)
            {
                buffer = buffer[(int)written..];
                continue;
            }
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                continue;
            }
            if (errno is EAGAIN_LINUX or EAGAIN_BSD)
            {
                // The parent handed us a non-blocking descriptor and its reader is slow: wait, do not drop bytes.
                Thread.Sleep(1);
                continue;
            }
            throw new StandardOutputException($"cannot write to {name}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    [DllImport("libc", EntryPoint = "write", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern nint SysWrite(int fd, ref byte buffer, nint count);
}
