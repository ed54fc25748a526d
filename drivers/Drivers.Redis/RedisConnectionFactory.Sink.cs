using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

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
        var options = new SslClientAuthenticationOptions { TargetHost = _host };
        if (_clientCertificate is { } certificate)
        {
            options.ClientCertificates = [certificate];
        }
        if (_skipVerify)
        {
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (_caFile is not null)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => SignedByCaFile(certificate, errors);
        }
        return options;
    }

    /// <summary>A certificate whose only fault is an issuer the system does not know, checked against -redis-tls-ca-file.</summary>
    private bool SignedByCaFile(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(_caFile!);
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
