using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Drivers.Core.Net;

namespace Drivers.Redis;

/// <summary>What <see cref="RedisSinkConnection"/> needs of the settings: the handshake and the TLS to make.</summary>
internal sealed partial class RedisConnectionFactory
{
    /// <summary>A sink's connection: one command at a time, no client library (<see cref="RedisSinkConnection"/>).</summary>
    public RedisSinkConnection CreateForSink() => new(this);

    internal string Host => _host;

    internal int Port => _port;

    /// <summary>What a new sink connection sends before its first command: AUTH when there is a password, and its name.</summary>
    internal IReadOnlyList<ReadOnlyMemory<byte>>[] Handshake()
    {
        ReadOnlyMemory<byte>[] name = ["CLIENT"u8.ToArray(), "SETNAME"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(ClientName(blocking: false))];
        return _password is { } password ? [["AUTH"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(password)], name] : [name];
    }

    /// <summary>The TLS a sink connection makes (null without -redis-enable-tls), as the client library is told in <see cref="ConnectAsync"/>.</summary>
    internal SslClientAuthenticationOptions? TlsOptions()
    {
        if (!_tls)
        {
            return null;
        }
        X509Certificate2Collection? trust = null;
        if (_caFile is not null)
        {
            trust = [];
            trust.ImportFromPemFile(_caFile);
        }
        return TlsClientOptions.Create(_host, _skipVerify, trust, _clientCertificate);
    }
}
