using System.Diagnostics;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Pushx;

/// <summary>
/// The lines read but not yet pushed, for -lines. With -batch-size above 1 and a sink that has a batch call
/// (<see cref="IBatchSink"/>), lines are gathered until the batch is full (-batch-size, -batch-bytes, the
/// sink's own limits) or its first line has waited -batch-timeout, then sent in one call; otherwise each line
/// is pushed on its own. Lines the sink refuses are sent once more on their own batch; lines refused again
/// stop the run, named by number. -out gets exactly the lines that were pushed, in input order.
/// </summary>
internal sealed class LineBatch
{
    private readonly ISinkDriver _sink;
    private readonly IBatchSink? _batchSink;
    private readonly IFailureTranslator? _translator;
    private readonly int _maxCount;
    private readonly long _maxBytes;
    private readonly TeeTarget? _tee;
    private readonly byte _delimiter;
    private readonly ILog _log;
    private readonly List<Line> _lines = [];
    private long _bytes;
    private long _firstLineAt;

    private LineBatch(ISinkDriver sink, IBatchSink? batchSink, int maxCount, long maxBytes, TeeTarget? tee, byte delimiter, ILog log)
    {
        _sink = sink;
        _batchSink = batchSink;
        _translator = sink as IFailureTranslator;
        _maxCount = maxCount;
        _maxBytes = maxBytes;
        _tee = tee;
        _delimiter = delimiter;
        _log = log;
    }

    public static LineBatch For(SettingValues values, string driver, ISinkDriver sink, TeeTarget? tee, byte delimiter, ILog log)
    {
        var size = values.GetInt(PushxTool.BatchSize);
        if (size > 1 && sink is IBatchSink batchSink)
        {
            return new LineBatch(sink, batchSink, Math.Min(size, batchSink.MaxBatchCount),
                Math.Min(values.GetInt(PushxTool.BatchBytes), batchSink.MaxBatchBytes), tee, delimiter, log);
        }
        if (size > 1)
        {
            log.Info($"{driver} has no batch call: each line is pushed on its own (-batch-size ignored)");
        }
        return new LineBatch(sink, null, 1, long.MaxValue, tee, delimiter, log);
    }

    /// <summary>Lines pushed so far.</summary>
    public long Pushed { get; private set; }

    public bool IsEmpty => _lines.Count == 0;

    /// <summary>How long the oldest line of the batch has waited.</summary>
    public TimeSpan Age => IsEmpty ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_firstLineAt);

    public async Task AddAsync(byte[] line, long number, CancellationToken cancellationToken)
    {
        if (!IsEmpty && _bytes + line.Length > _maxBytes)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        if (IsEmpty)
        {
            _firstLineAt = Stopwatch.GetTimestamp();
        }
        _lines.Add(new Line(number, line));
        _bytes += line.Length;
        if (_lines.Count >= _maxCount || _bytes >= _maxBytes)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Pushes what the batch holds; throws, naming the lines, when some could not be pushed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (IsEmpty)
        {
            return;
        }
        var lines = _lines.ToList();
        _lines.Clear();
        _bytes = 0;
        if (_batchSink is null)
        {
            await PushOneAsync(lines[0], cancellationToken).ConfigureAwait(false);
            await TeeAsync(lines, cancellationToken).ConfigureAwait(false);
            return;
        }
        var refused = await PushBatchAsync(_batchSink, lines, cancellationToken).ConfigureAwait(false);
        if (refused.Count > 0)
        {
            _log.Warn("lines refused by the sink: sending them once more", ("lines", Numbers(refused.Select(r => r.Line).ToList())));
            var again = await PushBatchAsync(_batchSink, refused.Select(r => r.Line).ToList(), cancellationToken).ConfigureAwait(false);
            refused = again;
        }
        var failed = refused.Select(r => r.Line.Number).ToHashSet();
        var pushed = lines.Where(l => !failed.Contains(l.Number)).ToList();
        await TeeAsync(pushed, cancellationToken).ConfigureAwait(false);
        _log.Debug("batch pushed", ("lines", pushed.Count), ("first", lines[0].Number));
        if (refused.Count > 0)
        {
            var first = refused[0].Error;
            throw new HostFailureException(first.Kind,
                $"{Numbers(refused.Select(r => r.Line).ToList())} not pushed: {first.Message}; the other {Pushed} lines read so far were, the rest were not read",
                FailurePolicy.ExitCode(first.Kind), first);
        }
    }

    private async Task PushOneAsync(Line line, CancellationToken cancellationToken)
    {
        try
        {
            await using var payload = Payload.FromBytes(line.Bytes);
            await _sink.PushAsync(payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw NotPushed([line], e);
        }
    }

    /// <summary>One batch call; a call that fails as a whole is an error naming every line in it.</summary>
    private async Task<List<(Line Line, DriverException Error)>> PushBatchAsync(IBatchSink sink, List<Line> lines, CancellationToken cancellationToken)
    {
        IReadOnlyList<BatchRejection> rejections;
        try
        {
            rejections = await sink.PushBatchAsync(lines.Select(l => (ReadOnlyMemory<byte>)l.Bytes).ToList(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            throw NotPushed(lines, e);
        }
        return rejections.Select(r => (lines[r.Index], r.Error)).ToList();
    }

    private HostFailureException NotPushed(List<Line> lines, Exception e)
    {
        var failure = Failure.Of(e, _translator);
        var them = lines.Count == 1 ? "it" : "them";
        return new HostFailureException(failure.Kind,
            $"{Numbers(lines)} not pushed: {failure.Message}; the {Pushed} lines before {them} were, the rest were not read",
            failure.ExitCode ?? FailurePolicy.ExitCode(failure.Kind), e);
    }

    private async Task TeeAsync(List<Line> pushed, CancellationToken cancellationToken)
    {
        Pushed += pushed.Count;
        if (_tee is null || pushed.Count == 0)
        {
            return;
        }
        var bytes = new byte[pushed.Sum(l => l.Bytes.Length + 1)];
        var at = 0;
        foreach (var line in pushed)
        {
            line.Bytes.CopyTo(bytes, at);
            at += line.Bytes.Length;
            bytes[at++] = _delimiter;
        }
        await _tee.AppendAsync(bytes, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>"line 7 was", "lines 3, 9 were" or "lines 11-20 were" (a run of consecutive numbers).</summary>
    private static string Numbers(List<Line> lines)
    {
        if (lines.Count == 1)
        {
            return $"line {lines[0].Number} was";
        }
        var consecutive = lines[^1].Number - lines[0].Number == lines.Count - 1;
        var text = consecutive
            ? $"{lines[0].Number}-{lines[^1].Number}"
            : string.Join(", ", lines.Take(20).Select(l => l.Number)) + (lines.Count > 20 ? $" and {lines.Count - 20} more" : "");
        return $"lines {text} were";
    }

    private sealed record Line(long Number, byte[] Bytes);
}
