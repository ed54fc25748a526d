using Drivers.Core.Failures;
using Xunit;

namespace Procx.Tests;

/// <summary>
/// The child's executable is found in PATH as execvp does; a daemon remembers the last answer and checks it
/// again per job, so an executable that went away is looked up afresh, never started from a stale path.
/// </summary>
[Collection(nameof(CommandLookupTests))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CommandLookupTests : IDisposable
{
    private readonly string _first = Directory.CreateTempSubdirectory("procx-path-a-").FullName;
    private readonly string _second = Directory.CreateTempSubdirectory("procx-path-b-").FullName;

    [Fact]
    public void A_remembered_executable_that_went_away_is_looked_up_again()
    {
        var path = $"{_first}:{_second}";
        var command = $"procx-lookup-{Guid.NewGuid():N}";
        Executable(_first, command);
        Executable(_second, command);

        Assert.Equal(Path.Join(_first, command), CommandLookup.Resolve(command, path));
        Assert.Equal(Path.Join(_first, command), CommandLookup.Resolve(command, path));

        File.Delete(Path.Join(_first, command));
        Assert.Equal(Path.Join(_second, command), CommandLookup.Resolve(command, path));

        File.Delete(Path.Join(_second, command));
        var e = Assert.Throws<HostFailureException>(() => CommandLookup.Resolve(command, path));
        Assert.Contains($"command '{command}' not found in PATH", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_path_variable_is_searched_on_its_own()
    {
        var command = $"procx-lookup-{Guid.NewGuid():N}";
        Executable(_first, command);
        Executable(_second, command);

        Assert.Equal(Path.Join(_first, command), CommandLookup.Resolve(command, $"{_first}:{_second}"));
        Assert.Equal(Path.Join(_second, command), CommandLookup.Resolve(command, _second));
    }

    public void Dispose()
    {
        Directory.Delete(_first, recursive: true);
        Directory.Delete(_second, recursive: true);
    }

    private static void Executable(string dir, string name)
    {
        var file = Path.Join(dir, name);
        File.WriteAllText(file, "#!/bin/sh\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
