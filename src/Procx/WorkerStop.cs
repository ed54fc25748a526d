using Drivers.Core;

namespace Procx;

/// <summary>
/// The worker's "stop now" switch for failures no retry can mend (a wrong setting, a bug): the first request
/// wins its exit code; fetching stops, running jobs are settled, held items are returned, procx exits.
/// </summary>
internal sealed class WorkerStop : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private int _exitCode = ExitCodes.Success;

    public CancellationToken Token => _requested.Token;

    public bool IsRequested => _requested.IsCancellationRequested;

    public int ExitCode => Volatile.Read(ref _exitCode);

    public void Request(int exitCode)
    {
        if (Interlocked.CompareExchange(ref _exitCode, exitCode, ExitCodes.Success) == ExitCodes.Success)
        {
            _requested.Cancel();
        }
    }

    public void Dispose() => _requested.Dispose();
}
