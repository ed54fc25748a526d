using Drivers.Conformance;
using Drivers.Core.Contracts;
using StackExchange.Redis;
using Xunit;

namespace Drivers.Redis.Tests;

/// <summary>
/// The sinks' own connection (RedisSinkConnection): what the server answers in error is named for the user,
/// and a connection the server closed between pushes is replaced before the next push, not failed on.
/// </summary>
public sealed class RedisSinkConnectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_holding_another_kind_of_value_is_a_config_error_naming_the_key()
    {
        var client = await RedisService.ClientAsync();
        var key = RedisService.NewKey("wrongtype");
        await client.GetDatabase().StringSetAsync(key, "a string, not a list");
        try
        {
            await using var sink = DriverFactory.Sink(RedisService.Registry, "redis-list", RedisService.Flags(key));

            var error = await Assert.ThrowsAsync<DriverException>(() => sink.PushAsync(Payload.FromBytes("x"u8.ToArray()), Ct));

            Assert.Equal(FailureKind.Configuration, error.Kind);
            Assert.Contains($"the key '{key}' at redis", error.Message, StringComparison.Ordinal);
            Assert.Contains("holds another kind of value", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            await RedisService.DeleteAsync(key);
        }
    }

    [Fact]
    public async Task A_connection_the_server_closed_between_pushes_is_replaced_and_the_next_push_succeeds()
    {
        using var server = await EndToEnd.StartOwnRedisServerAsync("this test closes connections on a redis-server of its own");
        var port = server.Port;
        var flags = new Dictionary<string, string> { ["redis-host"] = "127.0.0.1", ["redis-port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["redis-key"] = "list" };
        await using var client = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port}");
        await using var sink = DriverFactory.Sink(RedisService.Registry, "redis-list", flags);
        await sink.PushAsync(Payload.FromBytes("first"u8.ToArray()), Ct);

        // As a restart or the server's idle timeout would: every connection but this test's own is closed.
        var killed = (long)await client.GetServer(client.GetEndPoints()[0]).ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        Assert.True(killed >= 1, "the sink's connection was not open");
        await Task.Delay(100, Ct); // the close reaches the sink's socket

        await sink.PushAsync(Payload.FromBytes("second"u8.ToArray()), Ct);

        var values = await client.GetDatabase().ListRangeAsync("list");
        Assert.Equal(["first", "second"], values.Select(v => (string)v!));
    }
}
