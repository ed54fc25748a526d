using System.IO.Pipes;
using Drivers.Core.Hosting;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>The descriptor test and the stdout stream that reports write errors (in-process, real pipes).</summary>
public sealed class StandardStreamsTests
{
    [Fact]
    public void A_descriptor_the_runtime_opened_is_not_inherited()
    {
        using var file = File.Create(Path.Combine(Path.GetTempPath(), $"std-{Guid.NewGuid():N}"), 1, FileOptions.DeleteOnClose);
        var fd = (int)file.SafeFileHandle.DangerousGetHandle();
        Assert.False(StandardStreams.IsInherited(fd)); // opened close-on-exec, as the runtime opens every file
    }

    [Fact]
    public void A_closed_descriptor_is_not_inherited() => Assert.False(StandardStreams.IsInherited(100_000));

    [Fact]
    public void A_write_to_a_pipe_whose_reader_has_gone_throws()
    {
        using var reader = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, reader.ClientSafePipeHandle);
        var fd = (int)writer.SafePipeHandle.DangerousGetHandle();
        using var stream = new DescriptorWriteStream(fd, "stdout");
        stream.Write("first"u8);
        reader.Dispose();
        var e = Assert.Throws<StandardOutputException>(() => stream.Write(new byte[70_000]));
        Assert.Contains("cannot write to stdout", e.Message);
        Assert.Contains("errno 32", e.Message); // EPIPE
    }

    [Fact]
    public async Task Every_byte_arrives_through_a_pipe()
    {
        using var reader = new AnonymousPipeServerStream(PipeDirection.In);
        using var writer = new AnonymousPipeClientStream(PipeDirection.Out, reader.ClientSafePipeHandle);
        var payload = new byte[1 << 20];
        Random.Shared.NextBytes(payload);
        var received = new MemoryStream();
        var ct = TestContext.Current.CancellationToken;
        var read = Task.Run(() => reader.CopyTo(received), ct);
        await using (var stream = new DescriptorWriteStream((int)writer.SafePipeHandle.DangerousGetHandle(), "stdout"))
        {
            await new MemoryStream(payload).CopyToAsync(stream, ct);
        }
        writer.Dispose();
        reader.DisposeLocalCopyOfClientHandle();
        await read.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(payload, received.ToArray());
    }

    [Fact]
    public void Tracked_temp_files_are_removed_and_forgotten()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tracked-{Guid.NewGuid():N}");
        TempFiles.Track(path);
        File.WriteAllText(path, "partial");
        TempFiles.RemoveAll();
        Assert.False(File.Exists(path));
        File.WriteAllText(path, "a later file of that name is not ours");
        TempFiles.RemoveAll();
        Assert.True(File.Exists(path));
        File.Delete(path);
    }
}
