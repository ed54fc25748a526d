using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Drivers.Conformance;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// A one-shot `pushx -driver redis-list` is a start, one connection and its command, as `redis-cli rpush` is:
/// the client library would otherwise open a second connection for SUBSCRIBE, ask INFO twice and probe for a
/// replica by writing a throw-away key into the user's database. Watched with MONITOR on the real server.
/// </summary>
public sealed partial class RedisOneShotCommandsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>What a connection may send before its command: naming itself, the client's tracer and keep-alive.</summary>
    private static readonly string[] Handshake = ["CLIENT", "ECHO", "PING", "TIME", "SELECT", "QUIT", "HELLO", "AUTH"];

    [Fact]
    public async Task A_push_uses_one_connection_and_sends_no_info_set_or_subscribe()
    {
        var client = await RedisService.ClientAsync();
        var key = $"oneshot-{Guid.NewGuid():N}";
        using var monitor = new TcpClient();
        await monitor.ConnectAsync(RedisService.Host, RedisService.Port, Ct);
        var stream = monitor.GetStream();
        await stream.WriteAsync("MONITOR\r\n"u8.ToArray(), Ct);
        var reader = new StreamReader(stream, Encoding.Latin1);
        Assert.Equal("+OK", await reader.ReadLineAsync(Ct));
        try
        {
            var r = await ToolRunner.RunAsync(ToolRunner.Pushx, ["-in", "x"], EndToEnd.Env("PUSHX", "redis-list", key));
            Assert.True(r.ExitCode == 0, r.ToString());
            // The monitor's own marker, written after the push: every line before it is the push's.
            var marker = $"marker-{Guid.NewGuid():N}";
            await client.GetDatabase().StringGetAsync(marker);

            var commands = new List<(string Connection, string Command)>();
            while (await reader.ReadLineAsync(Ct) is { } line && !line.Contains(marker, StringComparison.Ordinal))
            {
                if (MonitorLine().Match(line) is { Success: true } m)
                {
                    commands.Add((m.Groups[1].Value, m.Groups[2].Value.ToUpperInvariant()));
                }
            }
            var pushes = commands.Where(c => c.Command != "GET").ToList(); // the test's own client reads the marker
            Assert.Contains("RPUSH", pushes.Select(c => c.Command));
            Assert.Single(pushes.Select(c => c.Connection).Distinct());
            Assert.All(pushes, c => Assert.True(c.Command == "RPUSH" || Handshake.Contains(c.Command), $"pushx sent {c.Command}"));
        }
        finally
        {
            await client.GetDatabase().KeyDeleteAsync(key);
        }
    }

    /// <summary><c>1796146794.428953 [0 127.0.0.1:50210] "CLIENT" "SETNAME" "pushx"</c>: the connection and the command.</summary>
    [GeneratedRegex("""^\+?\d+\.\d+ \[\d+ ([^\]]+)\] "([A-Za-z]+)"(?: |$)""")]
    private static partial Regex MonitorLine();
}
