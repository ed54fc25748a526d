using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.Etcd.Gateway;

/// <summary>etcd's error answers (a gRPC status code and etcd's message) as errors that name the setting to change.</summary>
internal sealed partial class EtcdGateway
{
    private static bool IsInvalidToken(GatewayError e) =>
        e.Code == 16 || (e.Message ?? e.Error ?? "").Contains("invalid auth token", StringComparison.Ordinal);

    /// <summary>etcd's answer in one line that says what to change.</summary>
    public DriverException Translate(GatewayError e, string what)
    {
        var message = ErrorText.OneLine((e.Message ?? e.Error ?? "").Replace("etcdserver: ", "", StringComparison.Ordinal));
        return message switch
        {
            _ when message.Contains("user name is empty", StringComparison.Ordinal) || message.Contains("user name not found", StringComparison.Ordinal)
                => _username is null
                    ? _settings.Invalid(EtcdSettings.Username, $"etcd at {Current} has auth enabled: set -etcd-username and -etcd-password")
                    : _settings.Invalid(EtcdSettings.Username, $"etcd at {Current} does not know user '{_username}'"),
            _ when message.Contains("authentication failed", StringComparison.Ordinal)
                => _settings.Invalid(EtcdSettings.Password, $"etcd at {Current} refused the credentials of user '{_username}'"),
            _ when message.Contains("permission denied", StringComparison.Ordinal)
                => _settings.Invalid(EtcdSettings.Username, $"etcd user '{_username}' may not {what} here (its roles need readwrite on the keys used, -etcd-claim-prefix too)"),
            _ when message.Contains("request is too large", StringComparison.Ordinal) || message.Contains("larger than max", StringComparison.Ordinal)
                => DriverException.DataError($"the value is larger than etcd at {Current} accepts (its --max-request-bytes, 1.5 MiB by default)"),
            _ when e.Code is 3 or 9 or 11 or 12
                => DriverException.Configuration($"etcd at {Current} refused to {what}: {message}"),
            _ => DriverException.Transient($"etcd at {Current} could not {what}: {message}"),
        };
    }

    private DriverException NotGateway(HttpStatusCode status, string text, string what)
    {
        if (text.Contains("HTTPS server", StringComparison.Ordinal))
        {
            return _settings.Invalid(EtcdSettings.TlsEnable, $"etcd at {Current} serves TLS: set -etcd-tls-enable or use an https:// endpoint");
        }
        if (status == HttpStatusCode.NotFound)
        {
            return _settings.Invalid(EtcdSettings.Hosts, $"{Current} has no etcd v3 JSON API (HTTP 404 for {what}): is it an etcd 3.4+ client URL?");
        }
        return DriverException.Transient($"etcd at {Current} answered HTTP {(int)status} (to {what}): {ErrorText.OneLine(text.Length > 200 ? text[..200] : text)}");
    }
}
