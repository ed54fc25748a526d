using Drivers.Core.Contracts;

namespace Procx;

/// <summary>
/// -concurrency for sources that hand out several items per request: one fetch loop asks for exactly as
/// many items as there are free slots and starts a job for each, so procx never holds more running items
/// than it can run.
/// </summary>
internal sealed class BatchDispatcher(IBatchSource source, JobRunner jobs, FetchRetry fetch, HeldItems held, int slots, TimeSpan interval, bool exitWhenEmpty)
{
    private readonly SemaphoreSlim _free = new(slots, slots);
    private readonly List<Task> _running = [];
    private int _busy;

    public async Task RunAsync(CancellationTokenSource stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _free.WaitAsync(stop.Token).ConfigureAwait(false);
                var free = 1;
                while (_free.Wait(0))
                {
                    free++;
                }
                var started = DateTime.UtcNow;
                var items = await fetch.FetchBatchAsync(source, free, interval, stop.Token).ConfigureAwait(false);
                var runnable = new List<WorkItem>(items.Count);
                foreach (var item in items)
                {
                    if (!await held.ReturnIfHeldAsync(item).ConfigureAwait(false))
                    {
                        runnable.Add(item);
                    }
                }
                if (free > runnable.Count)
                {
                    _free.Release(free - runnable.Count);
                }
                foreach (var item in runnable)
                {
                    Start(item);
                }
                if (runnable.Count == 0)
                {
                    if (exitWhenEmpty && Volatile.Read(ref _busy) == 0)
                    {
                        break;
                    }
                    await Backoff.SleepAsync(interval - (DateTime.UtcNow - started), stop.Token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private void Start(WorkItem item)
    {
        Interlocked.Increment(ref _busy);
        var task = Task.Run(async () =>
        {
            try
            {
                await using (item)
                {
                    await jobs.RunAsync(item).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
                _free.Release();
            }
        });
        lock (_running)
        {
            _running.RemoveAll(t => t.IsCompleted);
            _running.Add(task);
        }
    }
}
