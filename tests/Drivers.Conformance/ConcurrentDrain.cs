using System.Globalization;
using Xunit;

namespace Drivers.Conformance;

/// <summary>
/// Drains a source with `procx -exit-when-empty -concurrency N` and a child that records when it ran, so a
/// test can check that every item ran exactly once and that jobs overlapped but never exceeded N slots.
/// </summary>
public static class ConcurrentDrain
{
    /// <summary>Each job appends one line "start end payload" (ns) after sleeping; one short append is atomic.</summary>
    private const string Child = "s=$(date +%s%N); sleep 0.3; printf '%s %s %s\\n' \"$s\" \"$(date +%s%N)\" \"$PROCX_PAYLOAD\" >> \"$DRAIN_LOG\"";

    public static async Task<Result> RunAsync(Dictionary<string, string> env, int concurrency)
    {
        var log = Path.Combine(Path.GetTempPath(), $"procx-drain-{Guid.NewGuid():N}.log");
        env = new Dictionary<string, string>(env) { ["DRAIN_LOG"] = log };
        try
        {
            var run = await ToolRunner.RunAsync(ToolRunner.Procx,
                ["-exit-when-empty", "-concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "-daemon-interval", "500", "sh", "-c", Child],
                env, timeout: TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == 0, run.ToString());
            var jobs = File.Exists(log)
                ? File.ReadAllLines(log).Select(l => l.Split(' ', 3)).Select(p => (Start: long.Parse(p[0], CultureInfo.InvariantCulture), End: long.Parse(p[1], CultureInfo.InvariantCulture), Payload: p[2])).ToList()
                : [];
            return new Result(jobs.Select(j => j.Payload).ToList(), MaxOverlap(jobs.Select(j => (j.Start, j.End))));
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static int MaxOverlap(IEnumerable<(long Start, long End)> jobs)
    {
        var events = jobs.SelectMany(j => new[] { (At: j.Start, Delta: 1), (At: j.End, Delta: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Delta); // an end before a start at the same instant
        int current = 0, max = 0;
        foreach (var e in events)
        {
            current += e.Delta;
            max = Math.Max(max, current);
        }
        return max;
    }

    /// <param name="Payloads">Every payload a job ran with, in completion order.</param>
    /// <param name="MaxOverlap">The most jobs that ran at one time.</param>
    public sealed record Result(IReadOnlyList<string> Payloads, int MaxOverlap);
}
