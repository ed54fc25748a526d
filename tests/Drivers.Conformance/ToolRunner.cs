using System.Diagnostics;
using System.Text;

namespace Drivers.Conformance;

/// <summary>Runs the real, published procx/pushx executables as a user would, and captures what they did.</summary>
public static class ToolRunner
{
    /// <summary>Every tool this test process started, with its start time (a pid alone may be reused).</summary>
    private static readonly System.Collections.Concurrent.ConcurrentBag<(int Pid, DateTime Started)> Started = [];

    /// <summary>
    /// A test that fails between starting a daemon and stopping it would leave the daemon running after the
    /// test host exits, draining queues of later runs: the host takes every tool it started down with it.
    /// </summary>
    static ToolRunner() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillLeftovers();

    private static void KillLeftovers()
    {
        foreach (var (pid, started) in Started)
        {
            try
            {
                using var process = Process.GetProcessById(pid);
                if (process.StartTime == started)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }
    }

    /// <summary>Where the AOT executables are: $PROCX_BIN_DIR, else artifacts/bin under the repository.</summary>
    public static string BinDir
    {
        get
        {
            var dir = Environment.GetEnvironmentVariable("PROCX_BIN_DIR");
            if (string.IsNullOrEmpty(dir))
            {
                dir = Path.Combine(RepoRoot, "artifacts", "bin");
            }
            if (!File.Exists(Path.Combine(dir, "procx")))
            {
                throw new InvalidOperationException($"no published procx in {dir}: run scripts/publish.sh first (scripts/test.sh does)");
            }
            return dir;
        }
    }

    public static string Procx => Path.Combine(BinDir, "procx");

    public static string Pushx => Path.Combine(BinDir, "pushx");

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Procx.sln")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Procx.sln)");
        }
    }

    /// <summary>Starts a tool (or any program) with a clean environment plus <paramref name="env"/>.</summary>
    public static Process Start(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        // Start from a clean slate: a stray PROCX_*/PUSHX_* in the test runner's environment must not leak in.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("PROCX_", StringComparison.Ordinal) || k.StartsWith("PUSHX_", StringComparison.Ordinal) || k == "LOG_LEVEL").ToList())
        {
            start.Environment.Remove(key);
        }
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        var process = Process.Start(start)!;
        try
        {
            Started.Add((process.Id, process.StartTime));
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // It already exited and was reaped (a generator that prints and exits in a millisecond): nothing to clean up.
        }
        return process;
    }

    /// <summary>Runs to completion, feeding <paramref name="stdin"/>, and returns exit code, stdout bytes and stderr text.</summary>
    public static async Task<ToolResult> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null, byte[]? stdin = null, TimeSpan? timeout = null, string? workingDirectory = null)
    {
        using var process = Start(program, args, env, workingDirectory);
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var readErr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin);
            }
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The tool exited without reading its stdin.
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} {string.Join(' ', args)} did not finish in time; stderr: {await readErr}");
        }
        await readOut;
        return new ToolResult(process.ExitCode, stdout.ToArray(), await readErr);
    }
}

public sealed record ToolResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public override string ToString() => $"exit {ExitCode}; stdout: {StdoutText}; stderr: {Stderr}";
}
