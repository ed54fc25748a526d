using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Drivers.Core.Net;

/// <summary>The TLS a sink that talks its protocol itself makes: the host's name checked, and the driver's CA file, skip-verify and client certificate settings.</summary>
public static class TlsClientOptions
{
    /// <param name="trust">The CA certificates of the driver's -…-tls-ca-file, trusted besides the system's; null: the system's only.</param>
    public static SslClientAuthenticationOptions Create(string host, bool skipVerify, X509Certificate2Collection? trust, X509Certificate2? clientCertificate)
    {
        var options = new SslClientAuthenticationOptions { TargetHost = host };
        if (clientCertificate is not null)
        {
            options.ClientCertificates = [clientCertificate];
        }
        if (skipVerify)
        {
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (trust is not null)
        {
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => SignedBy(trust, certificate, errors);
        }
        return options;
    }

    /// <summary>A certificate whose only fault is an issuer the system does not know, checked against <paramref name="trust"/>.</summary>
    private static bool SignedBy(X509Certificate2Collection trust, X509Certificate? certificate, SslPolicyErrors errors)
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
        chain.ChainPolicy.CustomTrustStore.AddRange(trust);
        using var presented = new X509Certificate2(certificate);
        return chain.Build(presented);
    }
}
