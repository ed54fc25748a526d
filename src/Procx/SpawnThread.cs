using System.Collections.Concurrent;

namespace Procx;

/// <summary>
/// Starts children from one thread that lives as long as procx. Linux sends a child's parent-death signal
/// when the *thread* that forked it ends, not the process; a thread-pool thread retires when idle, which
/// would SIGKILL a healthy child in the middle of its job.
/// </summary>
internal static class SpawnThread
{
    private static readonly BlockingCollection<Action> Requests = [];

    private static readonly Lazy<Thread> Thread = new(() =>
    {
        var thread = new Thread(Serve) { IsBackground = true, Name = "procx child starter" };
        thread.Start();
        return thread;
    });

    /// <summary>
    /// Runs <paramref name="start"/> (a Process.Start or a vfork) on the spawn thread; its exceptions are
    /// rethrown to the awaiter. Awaited, not waited for: a thread-pool thread blocked on it spun, then slept,
    /// on every job.
    /// </summary>
    public static Task<T> RunAsync<T>(Func<T> start)
    {
        _ = Thread.Value;
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Requests.Add(() =>
        {
            try
            {
                result.SetResult(start());
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        });
        return result.Task;
    }

    private static void Serve()
    {
        foreach (var request in Requests.GetConsumingEnumerable())
        {
            request();
        }
    }
}
