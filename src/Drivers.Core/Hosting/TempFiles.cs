using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Drivers.Core.Hosting;

/// <summary>
/// Temporary files this process is writing (a spool of stdin, a sink's not-yet-renamed file). A signal ends
/// the process without running <c>finally</c> blocks, so a tool that may be stopped mid-write (pushx streaming a
/// large stdin) calls <see cref="RemoveOnSignals"/>: on SIGINT, SIGTERM or SIGHUP the files still listed are
/// removed and the tool exits 128 + the signal's number, as a shell reports a death by signal.
/// </summary>
public static class TempFiles
{
    private static readonly ConcurrentDictionary<string, byte> Paths = new(StringComparer.Ordinal);

    /// <summary>Lists <paramref name="path"/> for removal; call it before creating the file.</summary>
    public static void Track(string path) => Paths.TryAdd(path, 0);

    /// <summary>Deletes the file (if it is still there) and forgets it.</summary>
    public static void Delete(string path)
    {
        TryDelete(path);
        Paths.TryRemove(path, out _);
    }

    /// <summary>Keeps the file: it is no longer temporary (renamed into place, or written as asked).</summary>
    public static void Forget(string path) => Paths.TryRemove(path, out _);

    /// <summary>Removes every listed file now.</summary>
    public static void RemoveAll()
    {
        foreach (var path in Paths.Keys)
        {
            Delete(path);
        }
    }

    /// <summary>Installs the signal handlers (and a process-exit hook) until the returned handle is disposed.</summary>
    public static IDisposable RemoveOnSignals()
    {
        if (OperatingSystem.IsWindows())
        {
            return new Handlers([]);
        }
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        return new Handlers(
        [
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, context => OnSignal(context, 1)),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(context, 2)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(context, 15)),
        ]);
    }

    private static void OnSignal(PosixSignalContext context, int number)
    {
        context.Cancel = true;
        RemoveAll();
        Environment.Exit(ExitCodes.FromSignal(number));
    }

    private static void OnProcessExit(object? sender, EventArgs e) => RemoveAll();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Nothing more to do: the file is in use or its folder is gone.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: the folder became read-only; the name says what it is (a temp prefix).
        }
    }

    private sealed class Handlers(IReadOnlyList<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
            AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        }
    }
}
