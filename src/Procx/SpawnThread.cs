using System.Collections.Concurrent;
using System.Diagnostics;

namespace Procx;

/// <summary>
/// Starts children from one thread that lives as long as procx. Linux sends a child's parent-death signal
/// when the *thread* that forked it ends, not the process; a thread-pool thread retires when idle, which
/// would SIGKILL a healthy child in the middle of its job.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<(ProcessStartInfo Start, TaskCompletionSource<Process> Result)> Requests = [];

    private static readonly Lazy<Thread> Thread = new(() =>
    {
        var thread = new Thread(Serve) { IsBackground = true, Name = "procx child starter" };
        thread.Start();
        return thread;
    });

    /// <summary>
    /// Process.Start on the spawn thread; its exceptions are rethrown to the awaiter. Awaited, not waited for:
    /// a thread-pool thread blocked on it spun, then slept, on every job.
    /// </summary>
    public static Task<Process> StartAsync(ProcessStartInfo start)
    {
        _ = Thread.Value;
        var result = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add((start, result));
        return result.Task;
    }

    private static void Serve()
    {
        foreach (var (start, result) in Requests.GetConsumingEnumerable())
        {
            try
            {
                result.SetResult(Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process"));
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }
    }
}
