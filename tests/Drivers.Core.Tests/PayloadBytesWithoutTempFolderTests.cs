using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>
/// Points TMPDIR at a missing folder, which is process-wide: every other test that makes a temporary file
/// would fail meanwhile, so this runs in a collection of its own, after and apart from the parallel ones.
/// </summary>
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class PayloadBytesWithoutTempFolderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_writable_temporary_folder_a_long_stream_is_gathered_in_memory_byte_exact()
    {
        var bytes = RandomNumberGenerator.GetBytes(2 * PayloadBytes.InMemoryLimit + 3);
        var saved = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", "/nonexistent/procx-test-tmp");
        try
        {
            await using var payload = Payload.FromStream(new PayloadBytesTests.PipeLikeStream(bytes));
            Assert.Equal(bytes, await payload.ReadAllBytesAsync(Ct));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", saved);
        }
    }
}

[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;
