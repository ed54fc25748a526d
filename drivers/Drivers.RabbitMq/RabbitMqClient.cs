using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Logging;
using Drivers.Core.Settings;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Drivers.RabbitMq;

/// <summary>
/// The one place a connection and channel are built from <see cref="RabbitMqSettings"/>, the queue declared,
/// and the client's errors turned into one line that names what to change. Settings are checked at start-up;
/// the connection opens on first use and again after it was lost, so a daemon whose broker is down or
/// restarting goes through the host's retries. The client's own automatic recovery is off: a message taken on
/// a channel can only be acked on that channel, so a lost channel has to be seen (its messages are requeued by
/// the broker), not papered over.
/// </summary>
internal sealed class RabbitMqClient : IFailureTranslator, IAsyncDisposable
{
    private readonly SettingValues _settings;
    private readonly ILog _log;
    private readonly ConnectionFactory _factory;
    private readonly bool _confirms;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RabbitMqErrors _errors;
    private IConnection? _connection;
    private IChannel? _channel;

    public RabbitMqClient(SettingValues settings, ILog log, bool confirms, bool queueRequired)
    {
        _settings = settings;
        _log = log;
        _confirms = confirms;
        var url = settings.GetRequiredString(RabbitMqSettings.Url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || uri.Host.Length == 0)
        {
            throw settings.Invalid(RabbitMqSettings.Url, "the URL must look like amqp://user:password@host:5672/vhost or amqps://…");
        }
        Queue = settings.GetString(RabbitMqSettings.Queue) is { Length: > 0 } q ? q : null;
        if (queueRequired && Queue is null)
        {
            throw settings.MissingError(RabbitMqSettings.Queue);
        }
        Declaration = QueueDeclaration.From(settings);
        _factory = new ConnectionFactory
        {
            Uri = uri,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            ClientProvidedName = settings.EnvPrefix.ToLowerInvariant(),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(10),
            ContinuationTimeout = TimeSpan.FromSeconds(20),
            HandshakeContinuationTimeout = TimeSpan.FromSeconds(10),
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
        };
        Tls = uri.Scheme == "amqps";
        ConfigureTls(uri.Host);
        Endpoint = $"{uri.Host}:{_factory.Port}";
        if (_factory.Port <= 0)
        {
            Endpoint = $"{uri.Host}:{(Tls ? 5671 : 5672)}";
        }
        _errors = new RabbitMqErrors(settings, Endpoint, Declaration);
    }

    /// <summary><c>host:port</c>, for messages (never the URL: it carries the password).</summary>
    public string Endpoint { get; }

    public bool Tls { get; }

    public string? Queue { get; }

    public QueueDeclaration Declaration { get; }

    public SettingValues Settings => _settings;

    /// <summary>The open channel, connecting and declaring the queue first when there is none (or it closed).</summary>
    public async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _channel) is { IsOpen: true } open)
        {
            return open;
        }
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channel is { IsOpen: true } again)
            {
                return again;
            }
            await CloseAsync().ConfigureAwait(false);
            try
            {
                _connection = await _factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
                var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(_confirms, _confirms), cancellationToken).ConfigureAwait(false);
                await DeclareAsync(channel, cancellationToken).ConfigureAwait(false);
                _log.Debug("connected to rabbitmq", ("endpoint", Endpoint), ("tls", Tls), ("queue", Queue ?? ""));
                Volatile.Write(ref _channel, channel);
                return channel;
            }
            catch (Exception e) when (e is not DriverException && Translate(e) is { } translated)
            {
                await CloseAsync().ConfigureAwait(false);
                throw translated;
            }
            catch
            {
                await CloseAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        if (Declaration.DeadLetterExchange is { Length: > 0 } dlx)
        {
            await channel.ExchangeDeclarePassiveAsync(dlx, cancellationToken).ConfigureAwait(false);
        }
        if (Declaration.DeadLetterQueue is { } dlq)
        {
            // Dead letters need somewhere to land, or the broker drops them: the queue is declared here.
            await channel.QueueDeclareAsync(dlq, durable: true, exclusive: false, autoDelete: false,
                arguments: Declaration.QueueType == "quorum" ? new Dictionary<string, object?> { ["x-queue-type"] = "quorum" } : null,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            if (Declaration.DeadLetterExchange is { Length: > 0 } exchange)
            {
                await channel.QueueBindAsync(dlq, exchange, Declaration.DeadLetterRoutingKey ?? Queue ?? "", cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }
        if (Queue is null)
        {
            return;
        }
        if (Declaration.Passive)
        {
            await channel.QueueDeclarePassiveAsync(Queue, cancellationToken).ConfigureAwait(false);
            return;
        }
        await channel.QueueDeclareAsync(Queue, Declaration.Durable, exclusive: false, autoDelete: false, Declaration.Arguments(),
            cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private void ConfigureTls(string host)
    {
        var caFile = _settings.GetExistingFile(RabbitMqSettings.TlsCaFile);
        var certFile = _settings.GetExistingFile(RabbitMqSettings.TlsCertFile);
        var keyFile = _settings.GetExistingFile(RabbitMqSettings.TlsKeyFile);
        var skipVerify = _settings.GetBool(RabbitMqSettings.TlsSkipVerify);
        if (!Tls)
        {
            if (caFile is not null || certFile is not null || skipVerify)
            {
                _log.Warn("TLS settings are ignored with an amqp:// URL; use amqps:// for TLS");
            }
            return;
        }
        var ssl = new SslOption { Enabled = true, ServerName = host, Version = SslProtocols.None };
        if (skipVerify)
        {
            ssl.CertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (caFile is not null)
        {
            X509Certificate2Collection roots;
            try
            {
                roots = [];
                roots.ImportFromPemFile(caFile);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw _settings.Invalid(RabbitMqSettings.TlsCaFile, $"cannot read the CA certificate: {ErrorText.Describe(e)}");
            }
            ssl.CertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using var leaf = new X509Certificate2(certificate);
                return chain.Build(leaf);
            };
        }
        if (certFile is not null)
        {
            try
            {
                var client = X509Certificate2.CreateFromPemFile(certFile, keyFile ?? certFile);
                ssl.Certs = [client];
                ssl.CertificateSelectionCallback = (_, _, _, _, _) => client;
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw _settings.Invalid(RabbitMqSettings.TlsCertFile, $"cannot load the client certificate/key: {ErrorText.Describe(e)}");
            }
        }
        _factory.Ssl = ssl;
    }

    public DriverException? Translate(Exception e) => _errors.Translate(e);

    private async Task CloseAsync()
    {
        var channel = Interlocked.Exchange(ref _channel, null);
        var connection = Interlocked.Exchange(ref _connection, null);
        try
        {
            if (channel is not null)
            {
                await channel.DisposeAsync().ConfigureAwait(false);
            }
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is RabbitMQClientException or IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // Closing a connection that is already gone: nothing to do.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
