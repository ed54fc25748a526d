using System.Diagnostics;
using System.Globalization;

namespace Drivers.Conformance;

/// <summary>
/// Runs a tool with its stdin redirected from a file (as <c>tool &lt; file</c>) and reports its peak resident
/// memory: the kernel's high-water mark (VmHWM in /proc/PID/status), polled while the tool runs. The mark
/// only grows, so the last reading is the peak up to that moment; a peak in the last few milliseconds before
/// exit could be missed (the figure is then too low, never too high).
/// </summary>
public static class PeakMemory
{
    public static async Task<(ToolResult Result, long PeakBytes)> RunAsync(
        string program, IEnumerable<string> args, IReadOnlyDictionary<string, string> env, string stdinFile, TimeSpan timeout)
    {
        // sh replaces itself with the tool (exec), so the pid polled is the tool's own.
        using var process = ToolRunner.Start("/bin/sh", ["-c", "exec \"$0\" \"$@\" < \"$PEAK_MEMORY_STDIN\"", program, .. args],
            new Dictionary<string, string>(env) { ["PEAK_MEMORY_STDIN"] = stdinFile });
        process.StandardInput.Close();
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        var peak = 0L;
        var clock = Stopwatch.StartNew();
        while (!process.HasExited)
        {
            if (clock.Elapsed > timeout)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{Path.GetFileName(program)} did not finish in {timeout.TotalSeconds:0}s; stderr: {await readErr}");
            }
            peak = Math.Max(peak, HighWaterMark(process.Id));
            await Task.Delay(5);
        }
        await process.WaitForExitAsync();
        await readOut;
        return (new ToolResult(process.ExitCode, stdout.ToArray(), await readErr), peak);
    }

    /// <summary>VmHWM of a live process in bytes; 0 once it is gone (a zombie has no memory left to report).</summary>
    private static long HighWaterMark(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
