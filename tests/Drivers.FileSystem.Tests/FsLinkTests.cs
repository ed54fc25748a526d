using System.Text;
using Drivers.Conformance;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.FileSystem.Tests;

/// <summary>
/// [backend] the local file system (real folders and links, in-process drivers). The fs driver never follows
/// a symbolic link below its folder, and one pathological name cannot stop -fs-key-regex.
/// </summary>
public sealed class FsLinkTests
{
    [Fact]
    public async Task A_link_is_never_taken_as_work_and_a_dangling_one_does_not_stop_the_others()
    {
        await using var folders = new TempFolders();
        var outside = Path.Combine(folders.Root, "secret");
        File.WriteAllText(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(folders.Work, "job-1"), outside);
        File.CreateSymbolicLink(Path.Combine(folders.Work, "job-2"), "/nonexistent/procx-test");
        File.WriteAllText(Path.Combine(folders.Work, "job-3"), "real");
        await using var source = Source(folders, new() { ["fs-key-prefix"] = "job-" });

        var items = await ((IBatchSource)source).FetchBatchAsync(10, TimeSpan.Zero, TestContext.Current.CancellationToken);

        Assert.Equal(["job-3"], items.Select(i => i.Key));
        Assert.Equal("real"u8.ToArray(), await items[0].Payload.ReadAllBytesAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_exact_key_through_a_linked_folder_is_a_configuration_error()
    {
        await using var folders = new TempFolders();
        var outside = Directory.CreateDirectory(Path.Combine(folders.Root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "x"), "outside");
        Directory.CreateSymbolicLink(Path.Combine(folders.Work, "dirlink"), outside);

        var e = Assert.Throws<DriverException>(() => Source(folders, new() { ["fs-key"] = "dirlink/x", ["fs-clear-op"] = "rm" }));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-fs-key", e.Message);
        Assert.True(File.Exists(Path.Combine(outside, "x")));
    }

    [Fact]
    public async Task A_clear_folder_that_is_a_link_is_refused_at_start_up()
    {
        await using var folders = new TempFolders();
        var outside = Directory.CreateDirectory(Path.Combine(folders.Root, "outside")).FullName;
        var link = Path.Combine(folders.Root, "done");
        Directory.CreateSymbolicLink(link, outside);

        var e = Assert.Throws<DriverException>(() => Source(folders, new() { ["fs-clear-op"] = "mv", ["fs-clear-folder"] = link }));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-fs-clear-folder", e.Message);
    }

    [Fact]
    public async Task A_move_into_a_link_planted_after_start_up_is_refused_and_the_file_stays()
    {
        await using var folders = new TempFolders();
        var outside = Directory.CreateDirectory(Path.Combine(folders.Root, "outside")).FullName;
        File.WriteAllText(Path.Combine(folders.Work, "job-1"), "work");
        await using var source = Source(folders, new()
        {
            ["fs-clear-op"] = "mv",
            ["fs-clear-folder"] = folders.Failed,
            ["fs-clear-key-template"] = "{{key}}.d/{{key}}",
        });
        var item = (await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken))!;
        Directory.CreateDirectory(folders.Failed);
        Directory.CreateSymbolicLink(Path.Combine(folders.Failed, "job-1.d"), outside);

        var e = await Assert.ThrowsAsync<DriverException>(() => source.ClearAsync(item, TestContext.Current.CancellationToken));

        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-fs-clear-key-template", e.Message);
        Assert.True(File.Exists(Path.Combine(folders.Work, "job-1")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task A_regex_that_times_out_on_one_name_skips_only_that_name()
    {
        await using var folders = new TempFolders();
        File.WriteAllText(Path.Combine(folders.Work, new string('a', 40) + "!"), "pathological");
        File.WriteAllText(Path.Combine(folders.Work, "aaaa"), "good");
        await using var source = Source(folders, new() { ["fs-key-regex"] = "^(a+)+$" });

        var first = await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var second = await source.FetchAsync(TimeSpan.Zero, TestContext.Current.CancellationToken);

        Assert.Equal("aaaa", first?.Key);
        Assert.Null(second); // "aaaa" is held, and the pathological name is not tried again
        Assert.True(clock.Elapsed < TimeSpan.FromMilliseconds(500), $"the second fetch took {clock.Elapsed}");
    }

    [Fact]
    public async Task The_sink_refuses_a_linked_folder_on_the_way_and_a_link_in_place_of_the_file()
    {
        await using var folders = new TempFolders();
        var outside = Directory.CreateDirectory(Path.Combine(folders.Root, "outside")).FullName;
        var victim = Path.Combine(outside, "victim");
        File.WriteAllText(victim, "original");
        Directory.CreateSymbolicLink(Path.Combine(folders.Work, "linked"), outside);
        File.CreateSymbolicLink(Path.Combine(folders.Work, "file-link"), victim);
        await using var templated = DriverFactory.Sink(TempFolders.Registry, "fs", new Dictionary<string, string>
        {
            ["fs-folder"] = folders.Work,
            ["fs-key"] = "{{dir}}/{{name}}",
        });

        var throughFolder = await Assert.ThrowsAsync<DriverException>(() =>
            templated.PushAsync(Payload.FromBytes(Encoding.UTF8.GetBytes("{\"dir\":\"linked\",\"name\":\"victim\"}")), TestContext.Current.CancellationToken));
        var throughFile = Assert.Throws<DriverException>(() => DriverFactory.Sink(TempFolders.Registry, "fs", new Dictionary<string, string>
        {
            ["fs-folder"] = folders.Work,
            ["fs-key"] = "file-link",
        }));

        Assert.Equal(FailureKind.Configuration, throughFolder.Kind);
        Assert.Equal(FailureKind.Configuration, throughFile.Kind);
        Assert.Equal("original", File.ReadAllText(victim));
        Assert.Equal(["victim"], Directory.EnumerateFileSystemEntries(outside).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_missing_fs_folder_is_a_configuration_error_at_start_up()
    {
        await using var folders = new TempFolders();
        var e = Assert.Throws<DriverException>(() => DriverFactory.Source(TempFolders.Registry, "fs", new Dictionary<string, string>
        {
            ["fs-folder"] = Path.Combine(folders.Root, "missing"),
        }));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("does not exist", e.Message);
        Assert.Contains("PROCX_FS_FOLDER", e.Message);
    }

    private static ISourceDriver Source(TempFolders folders, Dictionary<string, string> flags)
    {
        flags["fs-folder"] = folders.Work;
        return DriverFactory.Source(TempFolders.Registry, "fs", flags);
    }
}
