using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Procx.Client;
using Xunit;

namespace Procx.Client.Tests;

/// <summary>The library with the fs driver on a real folder: take, complete, fail, release, push; and its errors.</summary>
public sealed class FolderClientTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("procx-client-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Work => Path.Combine(_root.FullName, "work");

    private string Failed => Path.Combine(_root.FullName, "failed");

    private Dictionary<string, string> Source(string key) => new()
    {
        ["fs-folder"] = Work,
        ["-fs-key"] = key, // a leading dash is taken too, as on the command line
        ["PROCX_FS_CLEAR_OP"] = "rm", // env var names work as well
        ["fs-fail-op"] = "mv",
        ["fs-fail-folder"] = Failed,
    };

    public FolderClientTests() => Directory.CreateDirectory(Work);

    [Fact]
    public async Task A_pushed_binary_item_is_taken_byte_exact_and_completing_it_clears_it()
    {
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        await PushxClient.PushAsync("fs", new Dictionary<string, string> { ["fs-folder"] = Work, ["fs-key"] = "job.bin" }, bytes, Ct);

        await using var source = ProcxClient.OpenSource("fs", Source("job.bin"));
        await using (var work = await source.TakeAsync(cancellationToken: Ct))
        {
            Assert.NotNull(work);
            Assert.Equal(bytes, await work.ReadAllBytesAsync(Ct));
            await work.CompleteAsync(Ct);
        }

        Assert.Empty(Directory.GetFiles(Work));
        Assert.Null(await source.TakeAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Failing_runs_the_fail_op_and_the_item_stays_recoverable()
    {
        await File.WriteAllTextAsync(Path.Combine(Work, "job"), "x", Ct);
        await using var source = ProcxClient.OpenSource("fs", Source("job"));
        await using (var work = await source.TakeAsync(cancellationToken: Ct))
        {
            await work!.FailAsync(Ct);
        }
        Assert.Equal(["job"], Directory.GetFiles(Failed).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Work_disposed_without_a_verdict_is_released_and_taken_again()
    {
        await File.WriteAllTextAsync(Path.Combine(Work, "job"), "x", Ct);
        await using var source = ProcxClient.OpenSource("fs", Source("job"));
        await using (var first = await source.TakeAsync(cancellationToken: Ct))
        {
            Assert.NotNull(first);
            Assert.Null(await source.TakeAsync(cancellationToken: Ct)); // claimed while held
        }
        await using var again = await source.TakeAsync(cancellationToken: Ct);
        Assert.NotNull(again);
        Assert.Equal("x"u8.ToArray(), await again.ReadAllBytesAsync(Ct));
        Assert.False(Directory.Exists(Failed) && Directory.GetFiles(Failed).Length > 0);
    }

    [Fact]
    public void An_unknown_driver_or_setting_is_a_usage_error_naming_it()
    {
        var driver = Assert.Throws<ProcxException>(() => ProcxClient.OpenSource("fss", Source("job")));
        Assert.Equal(64, driver.ExitCode);
        Assert.Contains("'fss'", driver.Message, StringComparison.Ordinal);
        Assert.Contains("fs,", driver.Message, StringComparison.Ordinal);

        var setting = Assert.Throws<ProcxException>(() => ProcxClient.OpenSource("fs", new Dictionary<string, string> { ["fs-foldr"] = Work }));
        Assert.Equal(64, setting.ExitCode);
        Assert.Contains("'fs-foldr'", setting.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_setting_is_the_executables_configuration_error_naming_flag_and_env_var()
    {
        var e = Assert.Throws<ProcxException>(() => ProcxClient.OpenSource("fs", new Dictionary<string, string> { ["fs-key"] = "job" }));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Equal(78, e.ExitCode);
        Assert.Contains("-fs-folder (env PROCX_FS_FOLDER)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_come_from_the_environment_as_procx_reads_them()
    {
        await File.WriteAllTextAsync(Path.Combine(Work, "envjob"), "from env", Ct);
        Environment.SetEnvironmentVariable("PROCX_FS_FOLDER", Work);
        Environment.SetEnvironmentVariable("PROCX_FS_KEY", "envjob");
        try
        {
            await using var source = ProcxClient.OpenSourceFromEnvironment("fs");
            await using var work = await source.TakeAsync(cancellationToken: Ct);
            Assert.Equal("from env"u8.ToArray(), await work!.ReadAllBytesAsync(Ct));
        }
        finally
        {
            Environment.SetEnvironmentVariable("PROCX_FS_FOLDER", null);
            Environment.SetEnvironmentVariable("PROCX_FS_KEY", null);
        }
    }

    public void Dispose() => _root.Delete(recursive: true);
}
