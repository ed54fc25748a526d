using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// A one-shot `pushx -driver redis-list` is a start, one connection and its command, as `redis-cli rpush` is:
/// the client library would otherwise open a second connection for SUBSCRIBE, ask INFO twice and probe for a
/// replica by writing a throw-away key into the user's database. Watched with MONITOR on a redis-server of the
/// test's own, so that no other test's commands mix in.
/// </summary>
public sealed partial class RedisOneShotCommandsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a connection may send before its command: naming itself, the client's tracer and keep-alive.</summary>
    private static readonly string[] Handshake = ["CLIENT", "ECHO", "PING", "TIME", "SELECT", "QUIT", "HELLO", "AUTH"];

    [Fact]
    public async Task A_push_uses_one_connection_and_sends_no_info_set_or_subscribe()
    {
        using var server = await EndToEnd.StartOwnRedisServerAsync("this test watches a redis-server of its own");
        var port = server.Port;
        using var monitor = await RawAsync(port, "MONITOR");
        var reader = new StreamReader(monitor.GetStream(), Encoding.Latin1);
        Assert.Equal("+OK", await reader.ReadLineAsync(Ct));

        var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "x"], EndToEnd.Env("PUSHX", "redis-list", "oneshot", "127.0.0.1", port));
        Assert.True(r.ExitCode == 0, r.ToString());
        // A marker sent after pushx exited: every line before it is pushx's.
        var marker = $"marker-{Guid.NewGuid():N}";
        using var _ = await RawAsync(port, $"ECHO {marker}");

        var commands = new List<(string Connection, string Command)>();
        while (await reader.ReadLineAsync(Ct) is { } line && !line.Contains(marker, StringComparison.Ordinal))
        {
            if (MonitorLine().Match(line) is { Success: true } m)
            {
                commands.Add((m.Groups[1].Value, m.Groups[2].Value.ToUpperInvariant()));
            }
        }
        Assert.Contains("RPUSH", commands.Select(c => c.Command));
        Assert.Single(commands.Select(c => c.Connection).Distinct());
        Assert.All(commands, c => Assert.True(c.Command == "RPUSH" || Handshake.Contains(c.Command), $"pushx sent {c.Command}"));
    }

    /// <summary>A plain connection that has sent one inline command.</summary>
    private static async Task<TcpClient> RawAsync(int port, string command)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, Ct);
        await client.GetStream().WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), Ct);
        return client;
    }

    /// <summary><c>1796146794.428953 [0 127.0.0.1:50210] "CLIENT" "SETNAME" "pushx"</c>: the connection and the command.</summary>
    [GeneratedRegex("""^\+?\d+\.\d+ \[\d+ ([^\]]+)\] "([A-Za-z]+)"(?: |$)""")]
    private static partial Regex MonitorLine();
}
