using Microsoft.Win32.SafeHandles;

namespace Pushx;

/// <summary>
/// pushx's stdin as a stream. Redirected from a file (<c>pushx &lt; item</c>) it is a seekable
/// <see cref="FileStream"/> whose remaining length is known, so a sink that needs the input whole reads it
/// into one array of that size (a pipe's length is not known: it is read in chunks, docs/performance.md).
/// </summary>
internal static class StandardInput
{
    public static (Stream Stream, long? Length) Open()
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                var file = new FileStream(new SafeFileHandle(0, ownsHandle: false), FileAccess.Read, bufferSize: 0);
                // A regular file has a size; a pipe, a terminal or a device (seekable or not) has none: the
                // console stream reads those, as before.
                if (file.CanSeek && file.Length > 0)
                {
                    return (file, Math.Max(0, file.Length - file.Position));
                }
                file.Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Not a file we can read by handle: the console stream decides what stdin is.
            }
        }
        return (Console.OpenStandardInput(), null);
    }
}
