using System.Net.Sockets;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.NKeys;

namespace Drivers.Nats;

/// <summary>
/// The one place a NATS connection is built from <see cref="NatsSettings"/>: URL, credentials (user/password,
/// token, creds file, JWT + seed, NKey seed) and TLS are checked here, at start-up, naming the setting at fault;
/// the connection itself opens on first use and reconnects by itself, so a daemon whose server is down goes
/// through the host's retries instead of exiting. Also turns the client's exceptions into one-line errors.
/// </summary>
internal sealed class NatsConnectionFactory : IFailureTranslator
{
    private readonly SettingValues _settings;
    private readonly NatsOpts _opts;

    public NatsConnectionFactory(SettingValues settings, ILog log)
    {
        _settings = settings;
        var url = settings.GetRequiredString(NatsSettings.Url);
        Endpoint = string.Join(',', url.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var tls = settings.GetBool(NatsSettings.EnableTls) || url.Contains("tls://", StringComparison.OrdinalIgnoreCase);
        var tlsOpts = new NatsTlsOpts { Mode = TlsMode.Auto };
        if (tls)
        {
            var cert = _settings.GetExistingFile(NatsSettings.TlsCertFile);
            var key = _settings.GetExistingFile(NatsSettings.TlsKeyFile);
            if ((cert is null) != (key is null))
            {
                throw settings.Invalid(cert is null ? NatsSettings.TlsCertFile : NatsSettings.TlsKeyFile, "a client certificate needs both -nats-tls-cert-file and -nats-tls-key-file");
            }
            tlsOpts = new NatsTlsOpts
            {
                Mode = TlsMode.Require,
                CaFile = _settings.GetExistingFile(NatsSettings.TlsCaFile),
                CertFile = cert,
                KeyFile = key,
                InsecureSkipVerify = settings.GetBool(NatsSettings.TlsInsecure),
            };
        }
        else if (settings.GetBool(NatsSettings.TlsInsecure) || settings.IsSet(NatsSettings.TlsCaFile) || settings.IsSet(NatsSettings.TlsCertFile))
        {
            log.Warn("TLS settings are ignored without -nats-enable-tls");
        }
        _opts = NatsOpts.Default with
        {
            Url = Endpoint,
            Name = settings.EnvPrefix.ToLowerInvariant(),
            AuthOpts = Credentials(),
            TlsOpts = tlsOpts,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            RequestTimeout = TimeSpan.FromSeconds(10),
            CommandTimeout = TimeSpan.FromSeconds(10),
            ReconnectWaitMin = TimeSpan.FromMilliseconds(200),
            ReconnectWaitMax = TimeSpan.FromSeconds(2),
            // Whatever a subscription held when it ends is handed over first (see NatsCoreSource), and a publish
            // during a reconnect fails within the command timeout rather than waiting for ever.
            PublishTimeoutOnDisconnected = true,
        };
    }

    /// <summary>The server URL(s), for messages.</summary>
    public string Endpoint { get; }

    public NatsConnection Create() => new(_opts);

    public static NatsJSContext JetStream(NatsConnection connection) => new(connection, new NatsJSOpts(connection.Opts) { DoubleAck = true });

    private NatsAuthOpts Credentials()
    {
        var auth = new NatsAuthOpts
        {
            Username = _settings.GetString(NatsSettings.Username) is { Length: > 0 } u ? u : null,
            Password = _settings.GetString(NatsSettings.Password) is { Length: > 0 } p ? p : null,
            Token = _settings.GetString(NatsSettings.Token) is { Length: > 0 } t ? t : null,
        };
        if (auth.Password is not null && auth.Username is null)
        {
            throw _settings.Invalid(NatsSettings.Username, "-nats-password needs -nats-username");
        }
        var jwtFile = _settings.GetExistingFile(NatsSettings.JwtFile);
        var nkeyFile = _settings.GetExistingFile(NatsSettings.NKeyFile);
        if (_settings.GetExistingFile(NatsSettings.CredsFile) is { } creds)
        {
            var text = File.ReadAllText(creds);
            var jwt = Block(text, "NATS USER JWT") ?? throw _settings.Invalid(NatsSettings.CredsFile, $"'{creds}' has no -----BEGIN NATS USER JWT----- block");
            var seed = Block(text, "USER NKEY SEED") ?? throw _settings.Invalid(NatsSettings.CredsFile, $"'{creds}' has no -----BEGIN USER NKEY SEED----- block");
            return auth with { Jwt = jwt, Seed = CheckSeed(seed, NatsSettings.CredsFile) };
        }
        if (jwtFile is not null)
        {
            if (nkeyFile is null)
            {
                throw _settings.Invalid(NatsSettings.NKeyFile, "-nats-jwt-file needs the seed that signs for it in -nats-nkey-file");
            }
            var text = File.ReadAllText(jwtFile);
            var jwt = Block(text, "NATS USER JWT") ?? text.Trim();
            return auth with { Jwt = jwt, Seed = CheckSeed(ReadSeed(nkeyFile), NatsSettings.NKeyFile) };
        }
        if (nkeyFile is not null)
        {
            var seed = CheckSeed(ReadSeed(nkeyFile), NatsSettings.NKeyFile);
            using var pair = KeyPair.FromSeed(seed.AsSpan());
            return auth with { NKey = pair.GetPublicKey(), Seed = seed };
        }
        return auth;
    }

    /// <summary>The seed line of an NKey file (nk -gen user writes just the seed; a creds-style block works too).</summary>
    private static string ReadSeed(string path)
    {
        var text = File.ReadAllText(path);
        return Block(text, "USER NKEY SEED") ?? text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith('S')) ?? "";
    }

    private string CheckSeed(string seed, Setting setting)
    {
        try
        {
            using var pair = KeyPair.FromSeed(seed.AsSpan());
            return seed;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never the seed itself in the message.
            throw _settings.Invalid(setting, "the file holds no valid NKey seed (a line starting with SU)");
        }
    }

    /// <summary>The first line inside a -----BEGIN NAME----- block, as nsc writes creds files.</summary>
    private static string? Block(string text, string name)
    {
        var lines = text.Split('\n').Select(l => l.Trim()).ToList();
        var start = lines.FindIndex(l => l.StartsWith("-----BEGIN " + name, StringComparison.Ordinal));
        return start >= 0 && start + 1 < lines.Count && lines[start + 1].Length > 0 ? lines[start + 1] : null;
    }

    /// <summary>
    /// A client error as a one-line error naming what to change: refused credentials and bad TLS are
    /// configuration errors (exit 78), an unreachable server or a timeout is transient; null for an exception
    /// that is not the client's.
    /// </summary>
    public DriverException? Translate(Exception e) => e switch
    {
        DriverException d => d,
        OperationCanceledException => null,
        NatsServerException { IsAuthError: true } s => BadCredentials(s),
        NatsPayloadTooLargeException => DriverException.DataError($"the message is larger than the NATS server at {Endpoint} accepts (its max_payload)", e),
        NatsJSApiException api => DriverException.Transient($"JetStream at {Endpoint} answered with an error: {ErrorText.OneLine(api.Error.Description ?? "")} ({api.Error.Code}/{api.Error.ErrCode})", e),
        NatsNoRespondersException or NatsJSPublishNoResponseException => DriverException.Transient($"no JetStream answered at {Endpoint} (is the server started with -js, and does a stream capture the subject?)", e),
        NatsNoReplyException or NatsTimeoutException or NatsJSTimeoutException or NatsJSApiNoResponseException or TimeoutException =>
            DriverException.Transient($"the NATS server at {Endpoint} did not answer in time", e),
        NatsException n when IsTls(n) => _settings.Invalid(NatsSettings.TlsCaFile, $"the TLS handshake with NATS at {Endpoint} failed (is its certificate signed by -nats-tls-ca-file? is it a TLS port?): {ErrorText.OneLine(ErrorText.Innermost(n).Message)}"),
        NatsException n when ErrorText.Innermost(n) is NatsServerException { IsAuthError: true } s => BadCredentials(s),
        NatsException or SocketException or IOException =>
            _settings.Unreachable("NATS", Endpoint, ErrorText.NetworkReason(e) ?? ErrorText.OneLine(ErrorText.Innermost(e).Message), e, NatsSettings.Url),
        _ => null,
    };

    /// <summary>
    /// A failed first connect: the client reports "can not connect uris" without the socket's reason, so for an
    /// unreachable server the first URL is dialled once more to say why (refused, host not found, timed out).
    /// </summary>
    public async Task<Exception> ConnectFailureAsync(Exception e)
    {
        if (Translate(e) is not { Kind: FailureKind.Transient } translated)
        {
            return Translate(e) ?? e;
        }
        var first = Endpoint.Split(',')[0];
        if (!Uri.TryCreate(first.Contains("://", StringComparison.Ordinal) ? first : "nats://" + first, UriKind.Absolute, out var uri))
        {
            return translated;
        }
        var reason = await ConnectionProbe.ReasonAsync(uri.Host, uri.Port > 0 ? uri.Port : 4222,
            "the port is open but the NATS handshake failed: is it a NATS port, and TLS as -nats-enable-tls says?").ConfigureAwait(false);
        return _settings.Unreachable("NATS", Endpoint, reason, e, NatsSettings.Url);
    }

    private DriverException BadCredentials(NatsServerException e) =>
        DriverException.Configuration(
            $"the NATS server at {Endpoint} refused the credentials ({ErrorText.OneLine(e.Error)}): check {_settings.Names(NatsSettings.Username, NatsSettings.Password, NatsSettings.Token, NatsSettings.CredsFile, NatsSettings.NKeyFile)}", e);

    private static bool IsTls(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }
        return false;
    }
}
