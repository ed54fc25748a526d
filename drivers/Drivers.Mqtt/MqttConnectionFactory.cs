using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Net;
using Drivers.Core.Settings;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;

namespace Drivers.Mqtt;

/// <summary>
/// The one place an MQTT client is built from <see cref="MqttSettings"/>, for procx and pushx. Settings are
/// checked here, at start-up; the connection is opened on first use, so a daemon whose broker is down goes
/// through the host's fetch retries instead of exiting.
/// </summary>
internal sealed class MqttConnectionFactory : IFailureTranslator
{
    private static readonly MqttClientFactory ClientFactory = new();

    private readonly SettingValues _settings;
    private readonly string _host;
    private readonly int _port;
    private readonly string? _user;
    private readonly string? _password;
    private readonly bool _tls;
    private readonly bool _skipVerify;
    private readonly X509Certificate2Collection? _trust;
    private readonly X509Certificate2? _clientCertificate;
    private readonly TimeSpan _keepAlive;

    public MqttConnectionFactory(SettingValues settings, ILog log)
    {
        _settings = settings;
        _host = settings.GetRequiredString(MqttSettings.Host);
        _port = settings.GetInt(MqttSettings.Port); // 1-65535: the setting declares its range
        Topic = settings.GetRequiredString(MqttSettings.Topic);
        _user = settings.GetString(MqttSettings.User) is { Length: > 0 } u ? u : null;
        _password = settings.GetString(MqttSettings.Password) is { Length: > 0 } p ? p : null;
        if (_password is not null && _user is null)
        {
            throw settings.Invalid(MqttSettings.User, "-mqtt-password needs a user name: MQTT sends no password without one");
        }
        Version = settings.GetString(MqttSettings.ProtocolVersion) == "3.1.1" ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
        _keepAlive = settings.GetDuration(MqttSettings.KeepAlive);
        _tls = settings.GetBool(MqttSettings.EnableTls);
        _skipVerify = settings.GetBool(MqttSettings.TlsSkipVerify);
        var caFile = _settings.GetExistingFile(MqttSettings.TlsCaFile);
        var certFile = _settings.GetExistingFile(MqttSettings.TlsCertFile);
        var keyFile = _settings.GetExistingFile(MqttSettings.TlsKeyFile);
        if (!_tls && (_skipVerify || caFile is not null || certFile is not null))
        {
            log.Warn("TLS settings are ignored without -mqtt-enable-tls");
        }
        if (_tls && caFile is not null)
        {
            try
            {
                _trust = [];
                _trust.ImportFromPemFile(caFile);
            }
            catch (CryptographicException e)
            {
                throw settings.Invalid(MqttSettings.TlsCaFile, $"cannot read the CA certificate: {ErrorText.Describe(e)}");
            }
        }
        if (_tls && certFile is not null)
        {
            try
            {
                _clientCertificate = X509Certificate2.CreateFromPemFile(certFile, keyFile ?? certFile);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw settings.Invalid(MqttSettings.TlsCertFile, $"cannot load the client certificate/key: {ErrorText.Describe(e)}");
            }
        }
        Endpoint = $"{_host}:{_port}";
    }

    /// <summary><c>host:port</c>, for messages.</summary>
    public string Endpoint { get; }

    public string Topic { get; }

    public MqttProtocolVersion Version { get; }

    public SettingValues Settings => _settings;

    /// <summary>The client id the setting gives, or null.</summary>
    public string? ConfiguredClientId => _settings.GetString(MqttSettings.ClientId) is { Length: > 0 } id ? id : null;

    /// <summary>
    /// procx's default client id: the same for the same broker and topic, so that a one-shot procx run again
    /// finds its session (and the messages queued for it); 21 characters, within what every MQTT 3.1.1 broker accepts.
    /// </summary>
    public string StableClientId() =>
        ConfiguredClientId ?? "procx" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{_host}:{_port}/{Topic}")))[..16];

    public IMqttClient CreateClient() => ClientFactory.CreateMqttClient();

    internal string Host => _host;

    internal int Port => _port;

    internal TimeSpan KeepAlive => _keepAlive;

    internal (string? User, string? Password) Credentials => (_user, _password);

    /// <summary>The TLS pushx's own connection makes (null without -mqtt-enable-tls), as <see cref="Options"/> tells the client library.</summary>
    internal SslClientAuthenticationOptions? TlsOptions() =>
        _tls ? TlsClientOptions.Create(_host, _skipVerify, _trust, _clientCertificate) : null;

    /// <summary>pushx's own connection could not be made or its CONNECT was not answered: what to check.</summary>
    internal DriverException ConnectFailed(Exception e) => e switch
    {
        _ when _tls && IsTlsFailure(e) =>
            _settings.Invalid(MqttSettings.TlsCaFile, $"the TLS handshake with the MQTT broker at {Endpoint} failed (is its certificate signed by -mqtt-tls-ca-file?): {ErrorText.Describe(ErrorText.Innermost(e))}"),
        _ when ErrorText.NetworkReason(e) is { } reason => _settings.Unreachable("the MQTT broker", Endpoint, reason, e, MqttSettings.Host, MqttSettings.Port),
        _ => HandshakeFailed(e),
    };

    /// <summary>A connection made whose CONNECT was cut off or answered in another protocol.</summary>
    internal DriverException HandshakeFailed(Exception e) => _settings.Unreachable("the MQTT broker", Endpoint, _tls
        ? "the port is open but the TLS handshake or the MQTT handshake failed"
        : "the port is open but the MQTT handshake failed: is it a TLS port (-mqtt-enable-tls)?", e, MqttSettings.Host, MqttSettings.Port);

    /// <summary>Connection options; <paramref name="persistent"/> asks for the session to be kept (procx).</summary>
    public MqttClientOptions Options(string clientId, bool persistent, uint sessionExpirySeconds = 0, ushort receiveMaximum = 0)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(_host, _port)
            .WithClientId(clientId)
            .WithProtocolVersion(Version)
            .WithKeepAlivePeriod(_keepAlive)
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (persistent)
        {
            // MQTT 5: clean start off and an expiry; 3.1.1: clean session off (the same flag in the packet).
            builder.WithCleanStart(false);
            if (Version == MqttProtocolVersion.V500)
            {
                builder.WithSessionExpiryInterval(sessionExpirySeconds).WithReceiveMaximum(receiveMaximum);
            }
        }
        else
        {
            builder.WithCleanStart(true);
        }
        if (_user is not null)
        {
            builder.WithCredentials(_user, _password);
        }
        if (_tls)
        {
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls().WithTargetHost(_host);
                if (_skipVerify)
                {
                    tls.WithCertificateValidationHandler(_ => true);
                }
                else if (_trust is not null)
                {
                    tls.WithTrustChain(_trust);
                }
                if (_clientCertificate is not null)
                {
                    tls.WithClientCertificates([_clientCertificate]);
                }
            });
        }
        return builder.Build();
    }

    /// <summary>Connects, turning a refusal or a network error into a one-line error that names what to change.</summary>
    public async Task<MqttClientConnectResult> ConnectAsync(IMqttClient client, MqttClientOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var result = await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            return result.ResultCode == MqttClientConnectResultCode.Success ? result : throw Refused(result.ResultCode, result.ReasonString);
        }
        catch (Exception e) when (e is not DriverException and not OperationCanceledException && IsConnectFailure(e))
        {
            var reason = ErrorText.NetworkReason(e) ?? await ConnectionProbe.ReasonAsync(_host, _port, _tls
                ? "the port is open but the TLS handshake or the MQTT handshake failed"
                : "the port is open but the MQTT handshake failed: is it a TLS port (-mqtt-enable-tls)?").ConfigureAwait(false);
            if (_tls && IsTlsFailure(e))
            {
                throw _settings.Invalid(MqttSettings.TlsCaFile, $"the TLS handshake with the MQTT broker at {Endpoint} failed (is its certificate signed by -mqtt-tls-ca-file?): {ErrorText.Describe(ErrorText.Innermost(e))}");
            }
            throw _settings.Unreachable("the MQTT broker", Endpoint, reason, e, MqttSettings.Host, MqttSettings.Port);
        }
    }

    internal DriverException Refused(MqttClientConnectResultCode code, string? reason, Exception? inner = null)
    {
        var says = reason is { Length: > 0 } ? $": {ErrorText.OneLine(reason)}" : "";
        return code switch
        {
            MqttClientConnectResultCode.BadUserNameOrPassword or MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadAuthenticationMethod =>
                _settings.Invalid(_password is null ? MqttSettings.User : MqttSettings.Password, $"the MQTT broker at {Endpoint} refused the connection ({ErrorText.Words(code.ToString())}{says})"),
            MqttClientConnectResultCode.ClientIdentifierNotValid =>
                _settings.Invalid(MqttSettings.ClientId, $"the MQTT broker at {Endpoint} refused the client id{says}"),
            MqttClientConnectResultCode.UnsupportedProtocolVersion =>
                _settings.Invalid(MqttSettings.ProtocolVersion, $"the MQTT broker at {Endpoint} does not speak this protocol version{says}"),
            MqttClientConnectResultCode.Banned =>
                _settings.Invalid(MqttSettings.ClientId, $"the MQTT broker at {Endpoint} banned this client{says}"),
            _ => DriverException.Transient($"the MQTT broker at {Endpoint} refused the connection ({ErrorText.Words(code.ToString())}{says})", inner),
        };
    }

    /// <summary>Client errors after the connection was made: a lost connection is transient.</summary>
    public DriverException? Translate(Exception e) => e switch
    {
        DriverException d => d,
        OperationCanceledException => null,
        MqttCommunicationTimedOutException => DriverException.Transient($"the MQTT broker at {Endpoint} did not answer in time", e),
        MqttClientNotConnectedException => DriverException.Transient($"the connection to the MQTT broker at {Endpoint} was lost", e),
        MqttClientDisconnectedException => DriverException.Transient($"the connection to the MQTT broker at {Endpoint} was lost", e),
        MqttCommunicationException or SocketException or IOException or TimeoutException =>
            _settings.Unreachable("the MQTT broker", Endpoint, ErrorText.NetworkReason(e) ?? "connection lost", e, MqttSettings.Host, MqttSettings.Port),
        _ => null,
    };

    private static bool IsConnectFailure(Exception e) =>
        e is MqttCommunicationException or SocketException or IOException or TimeoutException or AuthenticationException;

    private static bool IsTlsFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException || inner.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
