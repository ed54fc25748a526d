using System.Runtime.InteropServices;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;
using Microsoft.Win32.SafeHandles;

namespace Procx;

/// <summary>
/// One job's <c>-payload-file</c>: created with O_CREAT|O_EXCL and mode 0600 (so never through a link, never
/// someone else's file), and held open with a shared lock (flock) while the job runs. A file already at the
/// path is replaced only when it is a regular file no running procx holds: what a killed procx, or
/// <c>-keep-payload-file</c>, left behind. A link, a folder, a FIFO or a file another procx is using is a
/// configuration error naming -payload-file; nothing at the path is touched.
/// </summary>
internal sealed class PayloadFile : IAsyncDisposable
{
    private readonly FileStream _held;
    private readonly bool _keep;

    private PayloadFile(string path, FileStream held, bool keep)
    {
        Path = path;
        _held = held;
        _keep = keep;
    }

    public string Path { get; }

    public static async Task<PayloadFile> CreateAsync(string path, Payload payload, bool keep, SettingValues settings, CancellationToken cancellationToken)
    {
        var file = CreateExclusive(path, settings);
        try
        {
            await using (var input = payload.OpenRead())
            {
                await input.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            }
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            return new PayloadFile(path, file, keep);
        }
        catch
        {
            TryDelete(path);
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Refuses a path that is a link or a folder already (checked at start-up for the paths known then).</summary>
    public static void CheckNotLinked(string path, SettingValues settings)
    {
        if (new FileInfo(path).LinkTarget is not null)
        {
            throw settings.Invalid(ProcxTool.PayloadFile, $"'{ErrorText.OneLine(path)}' is a symbolic link; procx never writes through one: remove it or choose another path");
        }
        if (Directory.Exists(path))
        {
            throw settings.Invalid(ProcxTool.PayloadFile, $"'{ErrorText.OneLine(path)}' is a folder");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_keep)
        {
            TryDelete(Path); // while still held, so no other procx takes it for stale in between
        }
        await _held.DisposeAsync().ConfigureAwait(false);
    }

    private static FileStream CreateExclusive(string path, SettingValues settings)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var file = new FileStream(path, CreateOptions());
                if (!Native.TryLock(file.SafeFileHandle, Native.LOCK_SH))
                {
                    file.Dispose();
                    throw new HostFailureException(FailureKind.Transient, $"could not lock payload file '{ErrorText.OneLine(path)}'");
                }
                return file;
            }
            catch (DirectoryNotFoundException)
            {
                throw settings.Invalid(ProcxTool.PayloadFile, $"the folder of '{ErrorText.OneLine(path)}' does not exist");
            }
            catch (UnauthorizedAccessException)
            {
                throw settings.Invalid(ProcxTool.PayloadFile, $"permission denied creating '{ErrorText.OneLine(path)}'");
            }
            catch (IOException) when (attempt == 0 && Exists(path))
            {
                RemoveStale(path, settings);
            }
            catch (IOException e)
            {
                throw new HostFailureException(FailureKind.Transient, $"could not write payload file '{ErrorText.OneLine(path)}': {ErrorText.Describe(e)}", inner: e);
            }
        }
    }

    private static FileStreamOptions CreateOptions()
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew, // O_CREAT|O_EXCL: fails on anything there, a dangling link included
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = 1 << 16,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return options;
    }

    /// <summary>Removes what a killed procx left at the path; anything else there is refused, untouched.</summary>
    private static void RemoveStale(string path, SettingValues settings)
    {
        CheckNotLinked(path, settings);
        var notRegular = settings.Invalid(ProcxTool.PayloadFile, $"'{ErrorText.OneLine(path)}' exists and is not a regular file; procx does not replace it");
        // O_NONBLOCK: opening a FIFO must not wait for a writer. A socket cannot be opened at all.
        var fd = Native.open(path, Native.O_RDONLY | Native.O_NONBLOCK | Native.O_CLOEXEC);
        if (fd < 0)
        {
            throw notRegular;
        }
        FileStream probe;
        try
        {
            probe = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, 1);
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            throw notRegular;
        }
        using var held = probe;
        if (!probe.CanSeek)
        {
            throw notRegular; // a FIFO
        }
        if (!Native.TryLock(probe.SafeFileHandle, Native.LOCK_EX))
        {
            throw settings.Invalid(ProcxTool.PayloadFile,
                $"'{ErrorText.OneLine(path)}' is in use by another running procx; give each procx its own path, or put {PayloadFileName.JobPlaceholder} in it");
        }
        File.Delete(path); // unlink, holding the lock: the name goes, nothing is written to what it named
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null;

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>open(2) with O_NONBLOCK and flock(2), which .NET does not expose. The flag values are Linux's
    /// (the same on x64 and arm64).</summary>
    private static class Native
    {
        public const int O_RDONLY = 0;
        public const int O_NONBLOCK = 0x800;
        public const int O_CLOEXEC = 0x80000;
        public const int LOCK_SH = 1;
        public const int LOCK_EX = 2;
        private const int LOCK_NB = 4;

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int flock(SafeFileHandle fd, int operation);

        public static bool TryLock(SafeFileHandle handle, int operation) =>
            OperatingSystem.IsWindows() || flock(handle, operation | LOCK_NB) == 0;
    }
}
