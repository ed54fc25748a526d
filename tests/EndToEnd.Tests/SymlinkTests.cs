using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace EndToEnd.Tests;

/// <summary>
/// [backend] the local file system, through the published executables. A symbolic link below -fs-folder is
/// never followed: not taken as work, not passed through by -fs-key, clear/fail moves or pushx. One bad
/// name (a dangling link, a name a regex chokes on) does not stop the other files.
/// </summary>
public sealed class SymlinkTests
{
    [Fact]
    public async Task A_link_to_a_file_outside_is_not_given_to_the_child_and_nothing_outside_is_touched()
    {
        using var dir = new WorkFolder();
        var secret = Path.Combine(dir.Root, "shadow");
        File.WriteAllText(secret, "root:secret");
        File.CreateSymbolicLink(Path.Combine(dir.Work, "a-link"), secret);
        dir.Put("b-real", "real work");
        var seen = Path.Combine(dir.Out, "seen");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "rm", "sh", "-c", $"printf '%s' \"$PROCX_PAYLOAD\" > {seen}"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("real work", File.ReadAllText(seen));
        Assert.Contains("symbolic link", r.Stderr);
        Assert.Equal("root:secret", File.ReadAllText(secret));
        Assert.Equal(["a-link"], WorkFolder.Names(dir.Work)); // the link itself is left alone
    }

    [Fact]
    public async Task A_dangling_link_is_skipped_with_one_warning_and_the_real_files_run()
    {
        using var dir = new WorkFolder();
        File.CreateSymbolicLink(Path.Combine(dir.Work, "a-dangling"), Path.Combine(dir.Root, "nowhere"));
        dir.Put("b.json", "{}");
        dir.Put("c.json", "{}");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done, "-exit-when-empty", "-daemon-interval", "50", "true"]);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["b.json", "c.json"], WorkFolder.Names(dir.Done));
        Assert.Single(Regex.Matches(r.Stderr, "symbolic link is never taken"));
    }

    [Fact]
    public async Task Fs_key_through_a_linked_folder_is_refused_and_the_outside_file_still_exists()
    {
        using var dir = new WorkFolder();
        var outside = Directory.CreateDirectory(Path.Combine(dir.Root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "x"), "not procx's");
        Directory.CreateSymbolicLink(Path.Combine(dir.Work, "dirlink"), outside);
        var ran = Path.Combine(dir.Root, "ran");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "dirlink/x", "-fs-clear-op", "rm", "touch", ran]);

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-fs-key", r.Stderr);
        Assert.Contains("symbolic link", r.Stderr);
        Assert.Equal("not procx's", File.ReadAllText(Path.Combine(outside, "x")));
        Assert.False(File.Exists(ran), "no child runs");
    }

    [Theory]
    [InlineData("folder")]
    [InlineData("template")]
    public async Task A_clear_move_through_a_linked_folder_is_refused_before_any_child_runs(string how)
    {
        using var dir = new WorkFolder();
        var outside = Directory.CreateDirectory(Path.Combine(dir.Root, "outside")).FullName;
        dir.Put("a.json", "{}");
        var ran = Path.Combine(dir.Root, "ran");
        string[] clear;
        if (how == "folder")
        {
            var link = Path.Combine(dir.Root, "done-link");
            Directory.CreateSymbolicLink(link, outside);
            clear = ["-fs-clear-folder", link];
        }
        else
        {
            Directory.CreateDirectory(dir.Done);
            Directory.CreateSymbolicLink(Path.Combine(dir.Done, "sub"), outside);
            clear = ["-fs-clear-folder", dir.Done, "-fs-clear-key-template", "sub/{{key}}"];
        }

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key", "a.json", "-fs-clear-op", "mv", .. clear, "touch", ran]);

        Assert.Equal(78, r.ExitCode);
        Assert.Contains(how == "folder" ? "-fs-clear-folder" : "-fs-clear-key-template", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
        Assert.Equal(["a.json"], WorkFolder.Names(dir.Work));
        Assert.False(File.Exists(ran), "no child runs");
    }

    [Fact]
    public async Task Pushx_refuses_to_write_through_a_linked_folder()
    {
        using var dir = new WorkFolder();
        var outside = Directory.CreateDirectory(Path.Combine(dir.Root, "outside")).FullName;
        Directory.CreateSymbolicLink(Path.Combine(dir.Out, "linked"), outside);

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "{{dir}}/{{name}}"],
            stdin: "{\"dir\":\"linked\",\"name\":\"planted\"}"u8.ToArray());

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("symbolic link", r.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task Pushx_refuses_to_write_over_a_linked_file()
    {
        using var dir = new WorkFolder();
        var victim = Path.Combine(dir.Root, "victim");
        File.WriteAllText(victim, "original");
        var link = Path.Combine(dir.Out, "out.json");
        File.CreateSymbolicLink(link, victim);

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-driver", "fs", "-fs-folder", dir.Out, "-fs-key", "out.json"], stdin: "new"u8.ToArray());

        Assert.Equal(78, r.ExitCode);
        Assert.Contains("-fs-key", r.Stderr);
        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(link).LinkTarget); // not replaced either
    }

    [Fact]
    public async Task A_regex_that_times_out_on_one_name_skips_it_and_the_matching_files_are_taken()
    {
        using var dir = new WorkFolder();
        var pathological = new string('a', 40) + "!";
        dir.Put(pathological, "never matches");
        dir.Put("aaaa", "{}");
        dir.Put("aaaaaa", "{}");

        var r = await ToolRunner.RunAsync(ToolRunner.Procx,
            ["-driver", "fs", "-fs-folder", dir.Work, "-fs-key-regex", "^(a+)+$", "-fs-clear-op", "mv", "-fs-clear-folder", dir.Done,
             "-exit-when-empty", "-daemon-interval", "50", "true"], timeout: TimeSpan.FromSeconds(30));

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(["aaaa", "aaaaaa"], WorkFolder.Names(dir.Done));
        Assert.Equal([pathological], WorkFolder.Names(dir.Work));
        Assert.Single(Regex.Matches(r.Stderr, "-fs-key-regex took too long"));
    }
}
