using System.Collections.Concurrent;
using System.Text;
using Drivers.Core.Contracts;

namespace Procx.Tests;

/// <summary>
/// A source whose every answer the test decides: it hands out the items it was given and records each
/// settle call ("clear:a", "fail:a", "release:a", "dead:a"); a settle may be scripted to throw.
/// </summary>
internal class ScriptedSource : ISourceDriver
{
    private readonly ConcurrentQueue<WorkItem> _items = new();
    private readonly ConcurrentDictionary<string, Queue<Exception>> _throws = new();
    private readonly ConcurrentDictionary<string, Exception> _alwaysThrows = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    public bool SetsAside { get; init; }

    public bool FailSetsAside => SetsAside;

    public static WorkItem Item(string id, string payload = "{}", int? deliveryCount = null) =>
        new(Payload.FromBytes(Encoding.UTF8.GetBytes(payload))) { Id = id, DeliveryCount = deliveryCount };

    public ScriptedSource Add(WorkItem item)
    {
        _items.Enqueue(item);
        return this;
    }

    /// <summary>The next calls of <paramref name="op"/> ("clear", "fail", "release", "dead") throw these, in order.</summary>
    public ScriptedSource Throw(string op, params Exception[] errors)
    {
        _throws[op] = new Queue<Exception>(errors);
        return this;
    }

    /// <summary>Every call of <paramref name="op"/> throws <paramref name="error"/>.</summary>
    public ScriptedSource ThrowAlways(string op, Exception error)
    {
        _alwaysThrows[op] = error;
        return this;
    }

    public string[] CallsOf(string op) => Calls.Where(c => c.StartsWith(op + ":", StringComparison.Ordinal)).ToArray();

    public Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        Task.FromResult(_items.TryDequeue(out var item) ? item : null);

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => Record("clear", item);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => Record("fail", item);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => Record("release", item);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    protected Task Record(string op, WorkItem item)
    {
        // A failed call is recorded too ("clear!:a"): tests count attempts.
        if (_alwaysThrows.TryGetValue(op, out var always))
        {
            Calls.Enqueue($"{op}!:{item.Id}");
            throw always;
        }
        if (_throws.TryGetValue(op, out var queue))
        {
            lock (queue)
            {
                if (queue.Count > 0)
                {
                    Calls.Enqueue($"{op}!:{item.Id}");
                    throw queue.Dequeue();
                }
            }
        }
        Calls.Enqueue($"{op}:{item.Id}");
        return Task.CompletedTask;
    }
}

/// <summary>A scripted source with a dead-letter place.</summary>
internal sealed class DeadLetterScriptedSource : ScriptedSource, IDeadLetterSource
{
    public Task DeadLetterAsync(WorkItem item, CancellationToken cancellationToken) => Record("dead", item);
}
