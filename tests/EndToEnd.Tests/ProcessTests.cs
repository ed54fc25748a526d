using System.Diagnostics;
using System.Globalization;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>How procx finds, starts, signals and waits for its child (fs source, Linux /proc).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProcessTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Children that outlive a job send their output to /dev/null: holding procx's stderr open, they would make
    // the test wait for them (on the old code, for minutes) instead of failing on what it checks.

    [Fact]
    public async Task A_command_is_found_in_PATH_only_never_in_the_working_directory()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var marker = Path.Combine(dir.Root, "shadow-ran");
        var shadow = Path.Combine(dir.Root, "echo");
        File.WriteAllText(shadow, $"#!/bin/sh\ntouch {marker}\n");
        File.SetUnixFileMode(shadow, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "echo", "hello"], workingDirectory: dir.Root);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("hello\n", r.StdoutText);
        Assert.False(File.Exists(marker), "./echo in the working directory ran instead of PATH's echo");
    }

    [Fact]
    public async Task A_command_not_in_PATH_exits_127_naming_it_and_leaves_the_work()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "no-such-command-4c1e", "arg"]);

        Assert.Equal(127, r.ExitCode);
        Assert.Contains("command 'no-such-command-4c1e' not found in PATH", r.Stderr);
        Assert.Equal(["job"], WorkFolder.Names(dir.Work)); // a wrong command says nothing about the item
        Assert.Empty(WorkFolder.Names(dir.Failed));
    }

    [Fact]
    public async Task Sighup_is_a_shutdown_the_running_job_finishes_and_is_settled_once()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var runs = Path.Combine(dir.Root, "runs");
        var started = Path.Combine(dir.Root, "started");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-daemon", "-daemon-interval", "50", "-shutdown-timeout", "30s", "sh", "-c", $"echo run >> {runs}; touch {started}; sleep 1"]);
        var stderr = procx.StandardError.ReadToEndAsync(Cancel);
        await ClearAndFailTests.WaitUntil(() => File.Exists(started));

        WorkerTests.Signal(procx, "HUP");
        await procx.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);

        Assert.True(procx.ExitCode == 0, await stderr);
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
        Assert.Equal(["run"], File.ReadAllLines(runs));
    }

    [Fact]
    public async Task Sigterm_reaches_the_childs_whole_process_group()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var pidFile = Path.Combine(dir.Root, "grandchild");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-daemon", "-daemon-interval", "50", "sh", "-c", $"exec >/dev/null 2>&1; sleep 300 & echo $! > {pidFile}.tmp; mv {pidFile}.tmp {pidFile}; wait"]);
        var stderr = procx.StandardError.ReadToEndAsync(Cancel);
        var grandchild = await ReadPidAsync(pidFile);
        try
        {
            WorkerTests.Signal(procx, "TERM");
            await procx.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);

            Assert.True(procx.ExitCode == 0, await stderr);
            await ClearAndFailTests.WaitUntil(() => !IsAlive(grandchild), TimeSpan.FromSeconds(10));
        }
        finally
        {
            Kill(grandchild);
        }
    }

    [Fact]
    public async Task Sigkill_of_procx_kills_the_child()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var pidFile = Path.Combine(dir.Root, "child");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "sh", "-c", $"exec >/dev/null 2>&1; echo $$ > {pidFile}.tmp; mv {pidFile}.tmp {pidFile}; exec sleep 300"]);
        var child = await ReadPidAsync(pidFile);
        try
        {
            procx.Kill(); // SIGKILL: procx runs no code of its own
            await procx.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(10), Cancel);

            await ClearAndFailTests.WaitUntil(() => !IsAlive(child), TimeSpan.FromSeconds(10));
        }
        finally
        {
            Kill(child);
        }
    }

    [Fact]
    public async Task A_second_signal_kills_the_running_childs_group_before_exiting()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var pidFile = Path.Combine(dir.Root, "pids");
        using var procx = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-daemon", "-shutdown-timeout", "5m", "sh", "-c", $"exec >/dev/null 2>&1; sleep 300 & echo \"$$ $!\" > {pidFile}.tmp; mv {pidFile}.tmp {pidFile}; wait"]);
        var stderr = new System.Text.StringBuilder();
        procx.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        procx.BeginErrorReadLine();
        string Stderr() { lock (stderr) { return stderr.ToString(); } }
        await ClearAndFailTests.WaitUntil(() => File.Exists(pidFile));
        var pids = File.ReadAllText(pidFile).Split(' ').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        try
        {
            // The second signal only once procx has taken the first: signal handlers may run side by side,
            // and two signals sent back to back could be counted in either order.
            WorkerTests.Signal(procx, "HUP");
            await ClearAndFailTests.WaitUntil(() => Stderr().Contains("shutdown signal received", StringComparison.Ordinal));
            WorkerTests.Signal(procx, "TERM");
            await procx.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(30), Cancel);

            Assert.True(procx.ExitCode == 143, Stderr());
            await ClearAndFailTests.WaitUntil(() => pids.All(p => !IsAlive(p)), TimeSpan.FromSeconds(10));
            // The child died of procx's kill, not of its own failure: the item is neither failed nor cleared.
            Assert.Equal(["job"], WorkFolder.Names(dir.Work));
            Assert.Empty(WorkFolder.Names(dir.Failed));
            Assert.DoesNotContain("job failed", Stderr(), StringComparison.Ordinal);
        }
        finally
        {
            Array.ForEach(pids, Kill);
        }
    }

    [Fact]
    public async Task Timeout_measures_the_child_not_a_grandchild_holding_its_stdin()
    {
        using var dir = new WorkFolder();
        dir.Put("job", new byte[1 << 20]); // more than a pipe holds: the feed blocks on a reader that never reads
        // The grandchild's stdout is not procx's: the test would otherwise wait for it to close procx's output.
        var pidFile = Path.Combine(dir.Root, "grandchild");
        var clock = Stopwatch.StartNew();

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            [.. dir.FsSource("job"), "-pass-work-as-stdin", "-timeout", "10s", "-timeout-grace", "1s",
             "sh", "-c", $"exec 3<&0; sleep 30 <&3 >/dev/null 2>&1 & echo $! > {pidFile}; exit 0"],
            timeout: TimeSpan.FromSeconds(60));
        var grandchild = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
        Kill(grandchild);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"the job took {clock.Elapsed} although the child exited at once");
        Assert.DoesNotContain("timed out", r.Stderr);
        Assert.Equal(["job"], WorkFolder.Names(dir.Done));
    }

    [Fact]
    public async Task The_child_starts_with_sigpipe_at_its_default_and_its_own_pid_as_process_group()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            [.. dir.FsSource("job"), "sh", "-c", "grep SigIgn /proc/self/status; echo \"$$ $(cut -d' ' -f5 /proc/$$/stat)\""]);

        Assert.True(r.ExitCode == 0, r.ToString());
        var lines = r.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ignored = ulong.Parse(lines[0].Split('\t')[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        Assert.True((ignored & (1UL << (13 - 1))) == 0, $"SIGPIPE is ignored in the child: {lines[0]}");
        var ids = lines[1].Split(' ');
        Assert.Equal(ids[0], ids[1]); // pid == pgid: a group of its own
    }

    [Fact]
    public async Task The_published_build_starts_children_itself_by_vfork_with_nothing_to_read_on_stdin()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-log-level", "debug", "sh", "-c", "readlink /proc/self/fd/0; cat"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        // native/spawn.c is linked in: a build that fell back to procx as its own shim is slower and says so here.
        Assert.Contains("child started", r.Stderr);
        Assert.Contains("start=vfork", r.Stderr);
        Assert.Equal("/dev/null\n", r.StdoutText); // as Go's os/exec gives a child without stdin
    }

    [Fact]
    public async Task A_procx_started_with_sigchld_ignored_still_gets_each_childs_exit_code()
    {
        using var dir = new WorkFolder();
        dir.Put("good", "x");
        dir.Put("bad", "x");

        // With SIGCHLD ignored, the kernel reaps children itself and their exit codes are gone.
        var good = await ToolRunner.RunAsync("env", ["--ignore-signal=CHLD", ToolRunner.Procx, .. dir.FsSource("good"), "true"]);
        var bad = await ToolRunner.RunAsync("env", ["--ignore-signal=CHLD", ToolRunner.Procx, .. dir.FsSource("bad"), "sh", "-c", "exit 3"],
            timeout: TimeSpan.FromSeconds(30));

        Assert.True(good.ExitCode == 0, good.ToString());
        Assert.True(bad.ExitCode == 3, bad.ToString());
        Assert.Equal(["bad"], WorkFolder.Names(dir.Failed));
        Assert.Empty(WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task A_command_the_kernel_will_not_execute_fails_the_job_with_127_and_the_reason()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "x");
        var bin = Path.Combine(dir.Root, "bin");
        Directory.CreateDirectory(bin);
        var garbage = Path.Combine(bin, "not-a-program");
        File.WriteAllBytes(garbage, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3]);
        File.SetUnixFileMode(garbage, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "not-a-program"],
            env: new Dictionary<string, string> { ["PATH"] = bin + ":/usr/bin:/bin" });

        Assert.Equal(127, r.ExitCode);
        Assert.Contains("could not start 'not-a-program': Exec format error", r.Stderr);
        Assert.Equal(["job"], WorkFolder.Names(dir.Failed)); // this item's command was wrong, and procx said so
    }

    [Fact]
    public async Task Procx_as_its_own_exec_shim_runs_the_command_in_a_group_of_its_own_with_its_exit_code()
    {
        // How a build without native/spawn.c (no C compiler, another architecture) starts every child: procx
        // itself, with the shim's marker, procx's pid (here the test's: it is the parent), the path and argv.
        var shim = "\u0001procx-exec-shim";
        var parent = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [shim, parent, "/bin/sh", "sh", "-c", "echo \"$$ $(cut -d' ' -f5 /proc/$$/stat)\"; exit 3"]);
        var orphan = await ToolRunner.RunAsync(ToolRunner.Procx, [shim, "1", "/bin/sh", "sh", "-c", "echo ran"]);
        var bad = await ToolRunner.RunAsync(ToolRunner.Procx, [shim, "not-a-pid"]);

        Assert.True(r.ExitCode == 3, r.ToString());
        var ids = r.StdoutText.Trim().Split(' ');
        Assert.Equal(ids[0], ids[1]); // pid == pgid
        Assert.Equal(137, orphan.ExitCode); // its procx is gone (the parent is not the pid given): it must not run
        Assert.Equal("", orphan.StdoutText);
        Assert.Equal(70, bad.ExitCode);
        Assert.Contains("internal exec shim started with bad arguments", bad.Stderr);
    }

    private static async Task<int> ReadPidAsync(string pidFile)
    {
        await ClearAndFailTests.WaitUntil(() => File.Exists(pidFile));
        return int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // already gone
        }
    }
}
