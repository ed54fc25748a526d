using Drivers.Core.Settings;

namespace Drivers.Redis;

/// <summary>
/// The connection flags every Redis driver (redis-list, redis-pubsub, redis-stream) shares, for procx and
/// pushx alike, named as in the originals. <see cref="RedisConnectionFactory"/> builds the client from them.
/// </summary>
internal static class RedisConnectionSettings
{
    // The originals left it empty, which their Go client dials as the local host.
    public static readonly Setting Host = new("redis-host", "Redis server host name or address") { Default = "127.0.0.1" };

    public static readonly Setting Port = new("redis-port", "Redis server port") { Type = SettingType.Int, Default = "6379", Min = "1", Max = "65535" };

    public static readonly Setting Password = new("redis-password", "Redis password (AUTH)") { Secret = true };

    public static readonly Setting Key = new("redis-key", "The list, channel or stream to use") { Required = true };

    public static readonly Setting EnableTls = new("redis-enable-tls", "Connect with TLS") { Type = SettingType.Bool };

    public static readonly Setting TlsCaFile = new("redis-tls-ca-file", "PEM file of the CA that signed the server's certificate (with -redis-enable-tls)");

    public static readonly Setting TlsCertFile = new("redis-tls-cert-file", "PEM client certificate for mutual TLS (with -redis-tls-key-file)");

    public static readonly Setting TlsKeyFile = new("redis-tls-key-file", "PEM private key of -redis-tls-cert-file");

    // The originals read this flag from *_REDIS_TLS_INSECURE; the name derived from the flag works too.
    public static readonly Setting TlsSkipVerify = new("redis-tls-skip-verify", "Do not verify the server's TLS certificate (testing only)")
    {
        Type = SettingType.Bool,
        EnvAliases = ["REDIS_TLS_INSECURE"],
    };

    public static IReadOnlyList<Setting> All { get; } = [Host, Port, Password, Key, EnableTls, TlsCaFile, TlsCertFile, TlsKeyFile, TlsSkipVerify];
}
