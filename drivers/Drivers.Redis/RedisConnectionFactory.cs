using Drivers.Core.Contracts;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Drivers.Core;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;
using StackExchange.Redis;

namespace Drivers.Redis;

/// <summary>
/// The one place a Redis client is built from <see cref="RedisConnectionSettings"/>. Settings are checked
/// here, at start-up; the connection itself is opened on first use, so that a daemon whose server is down
/// at start goes through the host's fetch retries instead of exiting.
/// </summary>
internal sealed partial class RedisConnectionFactory : IFailureTranslator
{
    private readonly SettingValues _settings;
    private readonly ILog _log;
    private readonly string _host;
    private readonly int _port;
    private readonly string? _password;
    private readonly bool _tls;
    private readonly bool _skipVerify;
    private readonly string? _caFile;
    private readonly X509Certificate2? _clientCertificate;

    public RedisConnectionFactory(SettingValues settings, ILog log)
    {
        _settings = settings;
        _log = log;
        _host = settings.GetRequiredString(RedisConnectionSettings.Host);
        _port = settings.GetInt(RedisConnectionSettings.Port); // 1-65535: the setting declares its range
        _password = settings.GetString(RedisConnectionSettings.Password) is { Length: > 0 } p ? p : null;
        _tls = settings.GetBool(RedisConnectionSettings.EnableTls);
        _skipVerify = settings.GetBool(RedisConnectionSettings.TlsSkipVerify);
        _caFile = _settings.GetExistingFile(RedisConnectionSettings.TlsCaFile);
        var certFile = _settings.GetExistingFile(RedisConnectionSettings.TlsCertFile);
        var keyFile = _settings.GetExistingFile(RedisConnectionSettings.TlsKeyFile);
        if (!_tls && (_skipVerify || _caFile is not null || certFile is not null))
        {
            log.Warn("TLS settings are ignored without -redis-enable-tls");
        }
        if (_tls && certFile is not null)
        {
            try
            {
                _clientCertificate = X509Certificate2.CreateFromPemFile(certFile, keyFile ?? certFile);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw settings.Invalid(RedisConnectionSettings.TlsCertFile, $"cannot load the client certificate/key: {ErrorText.Describe(e)}");
            }
        }
        Endpoint = $"{_host}:{_port}";
    }

    /// <summary>The server version assumed without asking (INFO): 6.2 brought BLMOVE and LMOVE.</summary>
    private static readonly Version RedisVersion = new(6, 2);

    /// <summary>
    /// Commands the client would send to discover a cluster or a server's role and settings (CONFIG GET
    /// replica-read-only, databases, …), which we never need. Without INFO it would probe for a replica by
    /// writing a throw-away key (SET … PX 1 NX) into the user's database;
    /// none of the drivers sends SET itself (their scripts' SET runs in the server). A replica still answers a
    /// write with READONLY, which says to point -redis-host at the primary.
    /// </summary>
    private static readonly string[] OneServer = ["CLUSTER", "INFO", "CONFIG", "SET"];

    /// <summary>Commands that make the client open its subscription connection.</summary>
    private static readonly string[] Subscribing = ["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"];

    /// <summary><c>host:port</c>, for messages.</summary>
    public string Endpoint { get; }

    public string Key => _settings.GetRequiredString(RedisConnectionSettings.Key);

    /// <summary>
    /// A lazily opened connection. <paramref name="blocking"/> connections carry one blocking command at a time;
    /// only a <paramref name="subscriber"/> opens the client's second connection, for SUBSCRIBE.
    /// </summary>
    public RedisConnection Create(bool blocking = false, bool subscriber = false) => new(this, blocking, subscriber);

    internal void Connected(bool blocking) => _log.Debug("connected to redis", ("endpoint", Endpoint), ("tls", _tls), ("blocking", blocking));

    private string ClientName(bool blocking) => _settings.EnvPrefix.ToLowerInvariant() + (blocking ? "-blocking" : "");

    /// <summary>No connection could be made: the reason and the flags to check.</summary>
    internal DriverException Unreachable(Exception e) =>
        _settings.Unreachable("redis", Endpoint, ConnectReason(e), e, RedisConnectionSettings.Host, RedisConnectionSettings.Port);

    /// <summary>A connection made whose first answer was not Redis's: most often TLS on one side only.</summary>
    internal DriverException HandshakeFailed(Exception e) => _settings.Unreachable("redis", Endpoint, _tls
        ? "the port is open but the TLS handshake or the redis handshake failed"
        : "the port is open but the redis handshake failed: is it a TLS port (-redis-enable-tls)?", e, RedisConnectionSettings.Host, RedisConnectionSettings.Port);

    /// <summary>An error reply, in words that name what to change.</summary>
    internal DriverException ServerError(string message, Exception? inner = null) => message switch
    {
        _ when message.StartsWith("NOAUTH", StringComparison.Ordinal) || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
            || message.StartsWith("ERR AUTH", StringComparison.Ordinal) || message.Contains("without any password configured", StringComparison.Ordinal) =>
            BadCredentials($" ({ErrorText.OneLine(message.TrimEnd('.'))})"),
        _ when message.StartsWith("WRONGTYPE", StringComparison.Ordinal) =>
            _settings.Invalid(RedisConnectionSettings.Key, $"the key '{Key}' at redis {Endpoint} holds another kind of value"),
        _ when message.StartsWith("READONLY", StringComparison.Ordinal) =>
            _settings.Invalid(RedisConnectionSettings.Host, $"redis at {Endpoint} is a read-only replica; point -redis-host at the primary"),
        _ => DriverException.Transient($"redis at {Endpoint} answered with an error: {ErrorText.OneLine(message)}", inner),
    };

    internal async Task<ConnectionMultiplexer> ConnectAsync(bool blocking, bool subscriber)
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = true,
            ConnectTimeout = 5000,
            ConnectRetry = 2,
            // A blocking connection waits server-side for up to RedisConnection.MaxBlock per command.
            AsyncTimeout = blocking ? 15000 : 10000,
            SyncTimeout = 10000,
            ClientName = ClientName(blocking),
            Password = _password,
            Ssl = _tls,
            // One server, one short-lived process: no tie-breaker key, no configuration-change channel, no
            // cluster discovery, no INFO round trips to learn the server's version and role (the commands we send
            // say what they need: BLMOVE is 6.2), no second connection for SUBSCRIBE unless this one subscribes,
            // and the thread pool instead of the client's own spinning I/O threads (which made a one-shot push
            // slow under load). A one-shot push is then one connection and its handshake, then the command.
            TieBreaker = "",
            ConfigurationChannel = "",
            CommandMap = CommandMap.Create([.. OneServer, .. subscriber ? [] : Subscribing], available: false),
            DefaultVersion = RedisVersion,
            SocketManager = SocketManager.ThreadPool,
        };
        options.EndPoints.Add(_host, _port);
        if (_tls)
        {
            options.SslHost = _host;
            if (_skipVerify)
            {
                options.CertificateValidation += (_, _, _, _) => true;
            }
            else if (_caFile is not null)
            {
                options.TrustIssuer(_caFile);
            }
            if (_clientCertificate is { } certificate)
            {
                options.CertificateSelection += (_, _, _, _, _) => certificate;
            }
        }
        try
        {
            var connection = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
            Connected(blocking);
            return connection;
        }
        catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.UnableToConnect && Translate(e) is { Kind: FailureKind.Transient })
        {
            // The client's message is its advice only; the reason comes from dialling once more.
            var reason = await ConnectionProbe.ReasonAsync(_host, _port, _tls
                ? "the port is open but the TLS handshake or the redis handshake failed"
                : "the port is open but the redis handshake failed: is it a TLS port (-redis-enable-tls)?").ConfigureAwait(false);
            throw _settings.Unreachable("redis", Endpoint, reason, e, RedisConnectionSettings.Host, RedisConnectionSettings.Port);
        }
        catch (Exception e) when (e is not DriverException && Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// Turns a client error into a one-line error that names what to change: a connection error says
    /// host:port and the flags to check, never the client library's advice (abortConnect=false, its
    /// timeouts article); null for an error that is not the client's (the host's defaults apply).
    /// </summary>
    public DriverException? Translate(Exception e) => e switch
    {
        DriverException d => d,
        OperationCanceledException => null,
        RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } when _tls && IsTlsFailure(e) =>
            _settings.Invalid(RedisConnectionSettings.TlsCaFile, $"the TLS handshake with redis at {Endpoint} failed (is its certificate signed by -redis-tls-ca-file?): {ErrorText.Describe(ErrorText.Innermost(e))}"),
        RedisConnectionException { FailureType: ConnectionFailureType.AuthenticationFailure } => BadCredentials(),
        // With a password the server refuses, the client only suspects authentication and says so in its message.
        RedisConnectionException c when c.Message.Contains("authentication failure", StringComparison.OrdinalIgnoreCase) => BadCredentials(),
        RedisServerException s => ServerError(s.Message, e),
        System.Security.Authentication.AuthenticationException when _tls =>
            _settings.Invalid(RedisConnectionSettings.TlsCaFile, $"the TLS handshake with redis at {Endpoint} failed (is its certificate signed by -redis-tls-ca-file?): {ErrorText.Describe(ErrorText.Innermost(e))}"),
        // "Timeout performing BLMOVE (15000ms), next: …, please take a look at this article …": keep the first clause.
        RedisTimeoutException => DriverException.Transient($"redis at {Endpoint} did not answer in time ({FirstClause(e.Message)})", e),
        RedisException or SocketException or TimeoutException or IOException =>
            _settings.Unreachable("redis", Endpoint, ConnectReason(e), e, RedisConnectionSettings.Host, RedisConnectionSettings.Port),
        _ => null,
    };

    private DriverException BadCredentials(string serverSays = "") =>
        _settings.Invalid(RedisConnectionSettings.Password, $"redis at {Endpoint} refused the credentials{serverSays}");

    /// <summary>Why a connection failed, in a few words: the socket error if there is one, else what the client's summary names.</summary>
    private static string ConnectReason(Exception e)
    {
        if (ErrorText.NetworkReason(e) is { } reason)
        {
            return reason;
        }
        // The client reports a failed connect as text only, e.g. "… UnableToConnect on 127.0.0.1:1/Interactive, … SocketFailure …ConnectionRefused".
        var text = e.Message;
        return text switch
        {
            _ when text.Contains("ConnectionRefused", StringComparison.Ordinal) || text.Contains("Connection refused", StringComparison.Ordinal) => "connection refused",
            _ when text.Contains("HostNotFound", StringComparison.Ordinal) || text.Contains("Name or service not known", StringComparison.Ordinal)
                || text.Contains("No such host", StringComparison.OrdinalIgnoreCase) => "host not found",
            _ when text.Contains("Timeout", StringComparison.OrdinalIgnoreCase) || text.Contains("TimedOut", StringComparison.Ordinal) => "timed out",
            _ when e is RedisConnectionException { FailureType: ConnectionFailureType.UnableToConnect } => "unable to connect",
            _ when e is RedisConnectionException c => ErrorText.Words(c.FailureType.ToString()),
            _ => "connection lost",
        };
    }

    private static string FirstClause(string message)
    {
        var comma = message.IndexOf(", ", StringComparison.Ordinal);
        return ErrorText.OneLine(comma > 0 ? message[..comma] : message);
    }

    private static bool IsTlsFailure(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException
                || inner.Message.Contains("certificate", StringComparison.OrdinalIgnoreCase)
                || inner.Message.Contains("SSL", StringComparison.Ordinal) || inner.Message.Contains("TLS", StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

}
