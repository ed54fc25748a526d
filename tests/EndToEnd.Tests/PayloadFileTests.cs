using System.Diagnostics;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// [backend] the local file system, through the published executable. -payload-file is each job's own
/// (O_EXCL, 0600, never through a link), and a path that cannot work stops procx before any child runs.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PayloadFileTests
{
    private const int Items = 20;

    /// <summary>
    /// The child copies its payload file to out/ and records the file's name. Without PROCX_PAYLOAD_PATH
    /// (the old procx) it reads the configured path, as a child had to.
    /// </summary>
    private static string CopyScript(WorkFolder dir, string fallbackPath) =>
        $"f=\"$PROCX_PAYLOAD_PATH\"; [ -n \"$f\" ] || f='{fallbackPath}'; sleep 0.1; cat \"$f\" > \"{dir.Out}/$$.payload\" && basename \"$f\" > \"{dir.Out}/$$.path\"";

    [Fact]
    public async Task With_concurrency_4_each_job_sees_its_own_payload_in_its_own_slot_file()
    {
        using var dir = new WorkFolder();
        var expected = Enumerable.Range(0, Items).Select(i => $"payload-{i:D2}").ToArray();
        foreach (var (payload, i) in expected.Select((p, i) => (p, i)))
        {
            dir.Put($"job-{i:D2}", payload);
        }
        var file = Path.Combine(dir.Root, "p");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-payload-file", file,
             "-concurrency", "4", "-exit-when-empty", "-daemon-interval", "50", "sh", "-c", CopyScript(dir, file)],
            timeout: TimeSpan.FromSeconds(60));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(expected, Directory.GetFiles(dir.Out, "*.payload").Select(File.ReadAllText).Order(StringComparer.Ordinal));
        Assert.All(Directory.GetFiles(dir.Out, "*.path").Select(p => File.ReadAllText(p).Trim()), name => Assert.Matches("^p\\.[1-4]$", name));
        Assert.Equal(Items, WorkFolder.Names(dir.Done).Length);
        Assert.Equal(Items, Regex.Matches(r.Stderr, "job succeeded").Count); // each item cleared exactly once
        Assert.Empty(Directory.GetFiles(dir.Root, "p*")); // every payload file removed after its job
    }

    [Fact]
    public async Task A_job_placeholder_names_each_payload_file_after_its_job()
    {
        using var dir = new WorkFolder();
        for (var i = 0; i < 8; i++)
        {
            dir.Put($"job {i}", $"payload-{i}");
        }
        var file = Path.Combine(dir.Root, "p-{{job}}.txt");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "rm", "-payload-file", file,
             "-concurrency", "4", "-exit-when-empty", "-daemon-interval", "50", "sh", "-c", CopyScript(dir, file)],
            timeout: TimeSpan.FromSeconds(60));

        Assert.True(r.ExitCode == 0, r.ToString());
        var seen = Directory.GetFiles(dir.Out, "*.path")
            .Select(p => (Name: File.ReadAllText(p).Trim(), Payload: File.ReadAllText(Path.ChangeExtension(p, ".payload"))))
            .OrderBy(x => x.Name, StringComparer.Ordinal);
        // The space in "job 3" is not a file-name character procx keeps: it is %-encoded.
        Assert.Equal(Enumerable.Range(0, 8).Select(i => ($"p-job%20{i}.txt", $"payload-{i}")), seen);
        Assert.Empty(WorkFolder.Names(dir.Work));
    }

    [Fact]
    public async Task A_payload_file_at_an_existing_symlink_does_not_touch_the_victim()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "attacker-controlled payload");
        var victim = Path.Combine(dir.Root, "victim");
        File.WriteAllText(victim, "precious");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var file = Path.Combine(dir.Root, "p");
        File.CreateSymbolicLink(file, victim);
        var ran = Path.Combine(dir.Root, "ran");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-payload-file", file, "touch", ran]);

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-payload-file", r.Stderr);
        Assert.Equal("precious", File.ReadAllText(victim));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(victim));
        Assert.Equal(victim, new FileInfo(file).LinkTarget);
        Assert.Equal(["job"], WorkFolder.Names(dir.Work));
        Assert.False(File.Exists(ran), "no child runs");
    }

    [Fact]
    public async Task A_payload_file_in_a_missing_folder_exits_78_before_any_child_and_leaves_the_items()
    {
        using var dir = new WorkFolder();
        dir.Put("a", "one");
        dir.Put("b", "two");
        var ran = Path.Combine(dir.Root, "ran");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "rm", "-fs-fail-op", "mv", "-fs-fail-folder", dir.Failed,
             "-payload-file", Path.Combine(dir.Root, "missing", "dir", "p"), "-daemon", "touch", ran]);

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-payload-file", r.Stderr);
        Assert.Contains("PROCX_PAYLOAD_FILE", r.Stderr);
        Assert.Equal(["a", "b"], WorkFolder.Names(dir.Work));
        Assert.False(Directory.Exists(dir.Failed));
        Assert.False(File.Exists(ran), "no child runs");
    }

    [Fact]
    public async Task A_stale_payload_file_is_replaced_by_a_private_one()
    {
        using var dir = new WorkFolder();
        dir.Put("job", "fresh");
        var file = Path.Combine(dir.Root, "p");
        File.WriteAllText(file, "left by a killed procx");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("job"), "-payload-file", file, "sh", "-c", $"stat -c %a {file}; cat {file}"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("600\nfresh", r.StdoutText);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task A_payload_file_another_running_procx_holds_is_refused_and_left_alone()
    {
        using var dir = new WorkFolder();
        dir.Put("first", "first payload");
        dir.Put("second", "second payload");
        var file = Path.Combine(dir.Root, "p");
        var release = Path.Combine(dir.Root, "release");
        var copy = Path.Combine(dir.Out, "first-saw");
        using var holder = ToolRunner.Start(ToolRunner.Procx,
            [.. dir.FsSource("first"), "-payload-file", file, "sh", "-c", $"while [ ! -e {release} ]; do sleep 0.05; done; cat {file} > {copy}"]);
        await ClearAndFailTests.WaitUntil(() => File.Exists(file));

        var r = await ToolRunner.RunAsync(ToolRunner.Procx, [.. dir.FsSource("second"), "-payload-file", file, "true"]);
        File.WriteAllText(release, "");
        await holder.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("in use by another running procx", r.Stderr);
        Assert.Equal(0, holder.ExitCode);
        Assert.Equal("first payload", File.ReadAllText(copy));
        Assert.Equal(["second"], WorkFolder.Names(dir.Work));
    }
}
