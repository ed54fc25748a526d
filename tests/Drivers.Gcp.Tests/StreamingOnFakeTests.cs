using System.Diagnostics;
using System.Security.Cryptography;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Gcp.Tests;

/// <summary>Large objects stream through the AOT executables: peak memory stays far below the object size.</summary>
public sealed class StreamingOnFakeTests
{
    private const int Size = 256 * 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pushx_uploads_256_MiB_from_stdin_to_gcs_in_bounded_memory()
    {
        await using var gcs = await GcsBackend.FakeAsync();
        var bucket = await gcs.CreateBucketAsync();
        using var process = ToolRunner.Start(ToolRunner.Pushx, ["-driver", "gcp-gcs", "-gcp-gcs-bucket", bucket, "-gcp-gcs-key", "big.bin"],
            new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = gcs.HostPort });
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var peak = WatchPeak(process);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var block = new byte[1024 * 1024];
        for (var i = 0; i < Size / block.Length; i++)
        {
            RandomNumberGenerator.Fill(block);
            sha.AppendData(block);
            await process.StandardInput.BaseStream.WriteAsync(block, Ct);
        }
        process.StandardInput.Close();
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, await stderr);
        var peakBytes = await peak;

        var stored = Assert.Single(gcs.Fake!.Objects(bucket));
        Assert.Equal(Size, stored.Data.Length);
        Assert.Equal(sha.GetHashAndReset(), SHA256.HashData(stored.Data));
        TestContext.Current.SendDiagnosticMessage($"[measure] pushx gcp-gcs 256 MiB stdin upload: peak RSS {peakBytes / 1024 / 1024} MiB");
        Assert.True(peakBytes < 128L * 1024 * 1024, $"pushx peaked at {peakBytes / 1024 / 1024} MiB for a 256 MiB upload");
    }

    [Fact]
    public async Task Procx_streams_a_256_MiB_object_to_the_child_in_bounded_memory()
    {
        await using var gcs = await GcsBackend.FakeAsync();
        var bucket = await gcs.CreateBucketAsync();
        var data = RandomNumberGenerator.GetBytes(Size);
        gcs.Fake!.Put(bucket, "big.bin", data);
        using var process = ToolRunner.Start(ToolRunner.Procx, ["-driver", "gcp-gcs", "-gcp-gcs-bucket", bucket, "-gcp-gcs-key", "big.bin", "-pass-work-as-stdin", "sha256sum"],
            new Dictionary<string, string> { ["STORAGE_EMULATOR_HOST"] = gcs.HostPort });
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        var peak = WatchPeak(process);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, await stderr);
        var peakBytes = await peak;
        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(data)), await stdout, StringComparison.Ordinal);
        TestContext.Current.SendDiagnosticMessage($"[measure] procx gcp-gcs 256 MiB object to child stdin: peak RSS {peakBytes / 1024 / 1024} MiB");
        Assert.True(peakBytes < 128L * 1024 * 1024, $"procx peaked at {peakBytes / 1024 / 1024} MiB for a 256 MiB object");
    }

    /// <summary>Polls /proc/PID/status VmHWM (the kernel's own peak RSS) until the process exits.</summary>
    private static Task<long> WatchPeak(Process process) => Task.Run(async () =>
    {
        long peak = 0;
        while (!process.HasExited)
        {
            try
            {
                foreach (var line in await File.ReadAllLinesAsync($"/proc/{process.Id}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024);
                    }
                }
            }
            catch (IOException)
            {
                break; // exited between the check and the read
            }
            await Task.Delay(20);
        }
        return peak;
    });
}
