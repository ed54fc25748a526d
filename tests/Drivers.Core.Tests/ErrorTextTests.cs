using System.ComponentModel;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Drivers.Core.Failures;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>
/// The runtime's common errors in plain words naming the path, in both message forms: the English one (this
/// test process) and the resource-key one the shipped executables get from UseSystemResourceKeys.
/// </summary>
public sealed partial class ErrorTextTests
{
    [GeneratedRegex(@"\b[A-Z][A-Za-z]+_[A-Z][A-Za-z_]+\b")]
    private static partial Regex ResourceKey();

    public static TheoryData<Exception, string> KeyForm => new()
    {
        { new DirectoryNotFoundException("IO_PathNotFound_Path, /missing/dir, with comma/p"), "no such file or directory: '/missing/dir, with comma/p' (a directory on the way is missing)" },
        { new FileNotFoundException("IO_FileNotFound_FileName, /x/f", "/x/f"), "no such file: '/x/f'" },
        { new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /etc/shadow", new IOException("Permission denied", 13)), "permission denied: '/etc/shadow'" },
        { new UnauthorizedAccessException("UnauthorizedAccess_IODenied_Path, /f", new IOException("Operation not permitted", 1)), "operation not permitted: '/f'" },
        { new IOException("IO_FileExists_Name, /out/f", 17), "'/out/f' already exists" },
        { new IOException("IO_SharingViolation_File, /out/f", 11), "'/out/f' is locked by another process" },
        { new Win32Exception(2, "ErrorStartingProcess, ech0, /work, No such file or directory"), "no such file or directory" },
        { new Win32Exception(13, "ErrorStartingProcess, ./script.sh, /work, Permission denied"), "permission denied (not executable?)" },
        { new InvalidOperationException("IO_EOF_ReadBeyondEOF"), "io eof read beyond eof" },
    };

    [Theory]
    [MemberData(nameof(KeyForm))]
    public void Resource_key_messages_become_words_naming_the_path(Exception e, string expected)
    {
        var text = ErrorText.Describe(e);
        Assert.Equal(expected, text);
        Assert.DoesNotMatch(ResourceKey(), text);
    }

    [Fact]
    public void A_missing_directory_names_the_path_in_the_english_form_too()
    {
        var e = Assert.Throws<DirectoryNotFoundException>(() => File.ReadAllText("/missing-procx-test-dir/p"));
        Assert.Equal("no such file or directory: '/missing-procx-test-dir/p' (a directory on the way is missing)", ErrorText.Describe(e));
    }

    [Fact]
    public void A_process_that_cannot_start_says_why_in_words()
    {
        var e = Assert.Throws<Win32Exception>(() => System.Diagnostics.Process.Start("/nonexistent-procx-test-command"));
        Assert.Equal("no such file or directory", ErrorText.Describe(e));
    }

    [Theory]
    [InlineData("MakeException, ([, 2, UnterminatedBracket")]
    [InlineData("Invalid pattern '([' at offset 2. Unterminated [] set.")]
    public void A_bad_regular_expression_names_the_pattern_reason_and_offset(string message)
    {
        var real = Assert.Throws<RegexParseException>(() => new Regex("(["));
        // Same error and offset as the real one, with the message in either form.
        var e = (RegexParseException)Activator.CreateInstance(typeof(RegexParseException), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null, [real.Error, real.Offset, message], null)!;
        Assert.Equal("invalid regular expression '([': unterminated bracket at offset 2", ErrorText.Describe(e));
    }

    [Fact]
    public void An_unnamed_io_error_reads_like_strerror_with_the_path()
    {
        var e = new IOException("No space left on device : '/out/f'", 28);
        Assert.Equal("no space left on device: '/out/f'", ErrorText.Describe(e));
    }

    [Theory]
    [InlineData(SocketError.ConnectionRefused, "connection refused")]
    [InlineData(SocketError.HostNotFound, "host not found")]
    [InlineData(SocketError.TimedOut, "timed out")]
    public void Network_reasons_are_a_few_words_found_anywhere_in_the_chain(SocketError error, string expected) =>
        Assert.Equal(expected, ErrorText.NetworkReason(new InvalidOperationException("Failed to connect. Use abortConnect=false", new IOException("x", new SocketException((int)error)))));

    [Fact]
    public void Control_characters_are_escaped()
    {
        Assert.Equal("a\\nb\\x1b[31m\\tc", ErrorText.OneLine("a\nb\u001b[31m\tc"));
        Assert.Equal("no such file: 'x\\n2026-01-01 INFO forged'", ErrorText.Describe(new FileNotFoundException("m", "x\n2026-01-01 INFO forged")));
    }
}
