using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.Etcd.Gateway;

/// <summary>TLS for https endpoints: a CA file (or the self-signed certificate itself), a client certificate, or no check.</summary>
internal sealed partial class EtcdGateway
{
    private void ConfigureTls(SslClientAuthenticationOptions options)
    {
        if (_settings.GetBool(EtcdSettings.TlsInsecure))
        {
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (_settings.GetExistingFile(EtcdSettings.TlsCa) is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw _settings.Invalid(EtcdSettings.TlsCa, $"cannot read the CA certificate: {ErrorText.Describe(e)}");
            }
            if (roots.Count == 0)
            {
                throw _settings.Invalid(EtcdSettings.TlsCa, $"'{caFile}' holds no PEM certificate");
            }
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        if (_settings.GetExistingFile(EtcdSettings.TlsCert) is { } certFile)
        {
            var keyFile = _settings.GetExistingFile(EtcdSettings.TlsKey) ?? certFile;
            try
            {
                options.ClientCertificates = [X509Certificate2.CreateFromPemFile(certFile, keyFile)];
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw _settings.Invalid(EtcdSettings.TlsCert, $"cannot load the client certificate/key: {ErrorText.Describe(e)}");
            }
        }
    }

    private static bool IsTlsFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }
}
