using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Drivers.ActiveMq.Stomp;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;

namespace Drivers.ActiveMq;

/// <summary>
/// The one place a STOMP connection is built from <see cref="ActiveMqSettings"/>, and the one destination
/// rule both tools share: a name starting with <c>/</c> is a full STOMP destination, used as it is; a bare
/// name is <c>/queue/NAME</c> or <c>/topic/NAME</c> by <c>-activemq-type</c> (queue by default, which is how
/// ActiveMQ itself reads a bare name). Settings are checked here, at start-up; connections open on first use.
/// </summary>
internal sealed class ActiveMqConnectionFactory : IFailureTranslator
{
    private readonly SettingValues _settings;
    private readonly ILog _log;
    private readonly StompOptions _options;

    public ActiveMqConnectionFactory(SettingValues settings, ILog log)
    {
        _settings = settings;
        _log = log;
        var address = settings.GetRequiredString(ActiveMqSettings.Address);
        var (host, port) = ParseAddress(address) ?? throw settings.Invalid(ActiveMqSettings.Address, $"'{address}' is not host:port");
        Endpoint = $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
        var type = settings.GetString(ActiveMqSettings.Type) ?? "queue";
        Destination = ToDestination(settings.GetRequiredString(ActiveMqSettings.Name), type);
        IsTopic = Destination.StartsWith("/topic/", StringComparison.Ordinal);
        var tls = settings.GetBool(ActiveMqSettings.EnableTls);
        var insecure = settings.GetBool(ActiveMqSettings.TlsInsecure);
        var caFile = _settings.GetExistingFile(ActiveMqSettings.TlsCaFile);
        var certFile = _settings.GetExistingFile(ActiveMqSettings.TlsCertFile);
        var keyFile = _settings.GetExistingFile(ActiveMqSettings.TlsKeyFile);
        if (!tls && (insecure || caFile is not null || certFile is not null))
        {
            log.Warn("TLS settings are ignored without -activemq-enable-tls");
        }
        StompTls? stompTls = null;
        if (tls)
        {
            X509Certificate2Collection? trust = null;
            X509Certificate2? client = null;
            try
            {
                if (caFile is not null)
                {
                    trust = [];
                    trust.ImportFromPemFile(caFile);
                    if (trust.Count == 0)
                    {
                        throw settings.Invalid(ActiveMqSettings.TlsCaFile, $"'{caFile}' holds no PEM certificate");
                    }
                }
            }
            catch (CryptographicException e)
            {
                throw settings.Invalid(ActiveMqSettings.TlsCaFile, $"cannot read the CA file: {ErrorText.Describe(e)}");
            }
            if (certFile is not null)
            {
                try
                {
                    client = X509Certificate2.CreateFromPemFile(certFile, keyFile ?? certFile);
                }
                catch (Exception e) when (e is CryptographicException or ArgumentException)
                {
                    throw settings.Invalid(ActiveMqSettings.TlsCertFile, $"cannot load the client certificate/key: {ErrorText.Describe(e)}");
                }
            }
            stompTls = new StompTls(insecure, trust, client);
        }
        _options = new StompOptions(host, port)
        {
            Login = settings.GetString(ActiveMqSettings.User) is { Length: > 0 } user ? user : null,
            Passcode = settings.GetString(ActiveMqSettings.Password) is { Length: > 0 } pass ? pass : null,
            VirtualHost = settings.GetString(ActiveMqSettings.VirtualHost) is { Length: > 0 } vhost ? vhost : "/",
            HeartBeat = settings.GetDuration(ActiveMqSettings.HeartBeat),
            Tls = stompTls,
        };
    }

    /// <summary><c>host:port</c>, for messages.</summary>
    public string Endpoint { get; }

    /// <summary>The STOMP destination both tools use, e.g. <c>/queue/jobs</c>.</summary>
    public string Destination { get; }

    public bool IsTopic { get; }

    public SettingValues Settings => _settings;

    /// <summary>The destination rule: a name starting with '/' is used as it is; a bare name gets /queue/ or /topic/.</summary>
    public static string ToDestination(string name, string type) =>
        name.StartsWith('/') ? name : $"/{(type == "topic" ? "topic" : "queue")}/{name}";

    internal static (string Host, int Port)? ParseAddress(string address)
    {
        var text = address.Trim();
        if (text.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("stomp://", StringComparison.OrdinalIgnoreCase)
            || text.StartsWith("ssl://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("stomp+ssl://", StringComparison.OrdinalIgnoreCase))
        {
            text = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return null;
        }
        var host = text[..colon].Trim('[', ']');
        return host.Length == 0 ? null : (host, port);
    }

    /// <summary>Opens a connection, translating a refused connect or CONNECT into an error that names what to change.</summary>
    public async Task<StompConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            var connection = await StompConnection.OpenAsync(_options, cancellationToken).ConfigureAwait(false);
            _log.Debug("connected over STOMP", ("endpoint", Endpoint), ("server", connection.Server), ("tls", _options.Tls is not null));
            return connection;
        }
        catch (StompErrorException e)
        {
            throw ConnectRefused(e);
        }
        catch (Exception e) when (e is not OperationCanceledException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>An ERROR frame in answer to CONNECT: credentials, a virtual host, or the broker's own reason.</summary>
    private DriverException ConnectRefused(StompErrorException e)
    {
        var said = e.ServerMessage;
        if (Mentions(said, "virtual host", "vhost"))
        {
            return _settings.Invalid(ActiveMqSettings.VirtualHost, $"the broker at {Endpoint} refused the virtual host '{_options.VirtualHost}' ({said})");
        }
        if (Mentions(said, "password", "passcode", "login", "credential", "authenticat", "access refused", "not authorized", "unauthorized", "security"))
        {
            return _settings.Invalid(ActiveMqSettings.Password, $"the broker at {Endpoint} refused the credentials of -activemq-user ({said})");
        }
        return DriverException.Transient($"the broker at {Endpoint} refused the STOMP connection: {said}", e);
    }

    /// <summary>
    /// Client errors in the user's words: an ERROR frame about permissions or the destination is a setting to
    /// change; one about size is the item's; a broken or silent connection is transient.
    /// </summary>
    public DriverException? Translate(Exception e) => e switch
    {
        DriverException d => d,
        OperationCanceledException => null,
        StompErrorException s when Mentions(s.ServerMessage, "not authorized", "unauthorized", "access refused", "access_refused", "permission", "security") =>
            _settings.Invalid(ActiveMqSettings.Name, $"the broker at {Endpoint} does not allow this user on {Destination} ({s.ServerMessage})"),
        StompErrorException s when Mentions(s.ServerMessage, "invalid destination", "unknown destination", "not_found", "no queue", "not found", "invalid_destination") =>
            _settings.Invalid(ActiveMqSettings.Name, $"the broker at {Endpoint} refused the destination {Destination} ({s.ServerMessage})"),
        StompErrorException s when Mentions(s.ServerMessage, "too large", "too big", "max frame", "maximum", "exceeds") =>
            DriverException.DataError($"the broker at {Endpoint} refused the message as too large ({s.ServerMessage})", e),
        StompErrorException s => DriverException.Transient($"the broker at {Endpoint} answered with an ERROR frame: {s.ServerMessage}", e),
        AuthenticationException => _settings.Invalid(ActiveMqSettings.TlsCaFile,
            $"the TLS handshake with {Endpoint} failed (is its certificate signed by -activemq-tls-ca-file, and issued for this host name?): {ErrorText.Describe(ErrorText.Innermost(e))}"),
        StompProtocolException p => DriverException.Transient($"the broker at {Endpoint} broke the STOMP protocol ({p.Message}): is -activemq-address a STOMP port, and TLS set to match (-activemq-enable-tls)?", e),
        SocketException or TimeoutException or IOException when ErrorText.NetworkReason(e) is { } reason =>
            _settings.Unreachable("the STOMP broker", Endpoint, reason, e, ActiveMqSettings.Address),
        IOException => DriverException.Transient($"the connection to the broker at {Endpoint} was lost ({ErrorText.OneLine(e.Message)})", e),
        _ => null,
    };

    /// <summary><see cref="Translate"/> for code paths that must throw: unknown exceptions pass unchanged.</summary>
    public Exception Wrap(Exception e) => Translate(e) is { } translated ? translated : e;

    private static bool Mentions(string text, params string[] words) =>
        words.Any(w => text.Contains(w, StringComparison.OrdinalIgnoreCase));
}
