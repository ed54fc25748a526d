using System.Security.Authentication;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;
using RabbitMQ.Client.Exceptions;

namespace Drivers.RabbitMq;

/// <summary>
/// What a RabbitMQ.Client error means for the user, for the source and the sink: refused credentials, a
/// queue declared otherwise (406), held exclusive by another connection (405) or missing (404), a missing
/// exchange and an unroutable message are configuration errors naming what to change (exit 78, the item stays
/// where it was); a refused or dropped connection, a forced close (broker restarting) and a publisher nack are
/// transient. Messages name <c>host:port</c>, never the URL (it carries the password).
/// </summary>
internal sealed class RabbitMqErrors(SettingValues settings, string endpoint, QueueDeclaration declaration) : IFailureTranslator
{
    /// <summary>
    /// A client error as one line naming what to change; null for an exception that is not the client's.
    /// 404/405/406 on the queue are configuration: nothing works until a person changes a setting.
    /// </summary>
    public DriverException? Translate(Exception e) => e switch
    {
        DriverException d => d,
        OperationCanceledException => null,
        BrokerUnreachableException { InnerException: AuthenticationFailureException } or AuthenticationFailureException =>
            settings.Invalid(RabbitMqSettings.Url, $"rabbitmq at {endpoint} refused the user name or password of the URL"),
        BrokerUnreachableException b when IsTlsFailure(b) =>
            settings.Invalid(RabbitMqSettings.TlsCaFile, $"the TLS handshake with rabbitmq at {endpoint} failed (is its certificate signed by -rabbitmq-tls-ca-file?)"),
        BrokerUnreachableException b when Find<OperationInterruptedException>(b) is { ShutdownReason.ReplyCode: 530 } o =>
            settings.Invalid(RabbitMqSettings.Url, $"rabbitmq at {endpoint} refused access to the virtual host of the URL ({ErrorText.OneLine(o.ShutdownReason!.ReplyText)})"),
        BrokerUnreachableException b => settings.Unreachable("rabbitmq", endpoint, ErrorText.NetworkReason(b) ?? "the connection or AMQP handshake failed", e, RabbitMqSettings.Url),
        AlreadyClosedException { ShutdownReason: { } reason } when reason.ReplyCode is not (200 or 320 or 541) => FromReply(reason.ReplyCode, reason.ReplyText, e),
        AlreadyClosedException => DriverException.Transient($"the connection to rabbitmq at {endpoint} closed", e),
        OperationInterruptedException { ShutdownReason: { } reason } => FromReply(reason.ReplyCode, reason.ReplyText, e),
        PublishReturnException r => settings.Invalid(RabbitMqSettings.Exchange,
            $"rabbitmq returned the message as unroutable: no queue is bound to exchange '{(r.Exchange.Length == 0 ? "(default)" : r.Exchange)}' with routing key '{r.RoutingKey}'"),
        PublishException => DriverException.Transient($"rabbitmq at {endpoint} did not accept the message (publisher confirm: nack; a queue at its x-max-length with x-overflow reject-publish refuses so)", e),
        RabbitMQClientException or System.Net.Sockets.SocketException or IOException or TimeoutException =>
            settings.Unreachable("rabbitmq", endpoint, ErrorText.NetworkReason(e) ?? "connection lost", e, RabbitMqSettings.Url),
        _ => null,
    };

    private DriverException FromReply(ushort code, string text, Exception e)
    {
        var said = ErrorText.OneLine(text);
        return code switch
        {
            403 => settings.Invalid(RabbitMqSettings.Url, $"rabbitmq at {endpoint} denied access ({said})"),
            404 when said.Contains("exchange", StringComparison.Ordinal) && declaration.DeadLetterExchange is { Length: > 0 } &&
                said.Contains($"'{declaration.DeadLetterExchange}'", StringComparison.Ordinal) =>
                settings.Invalid(RabbitMqSettings.DeadLetterExchange, $"the dead-letter exchange does not exist at rabbitmq {endpoint} ({said})"),
            404 when said.Contains("exchange", StringComparison.Ordinal) => settings.Invalid(RabbitMqSettings.Exchange, $"the exchange does not exist at rabbitmq {endpoint} ({said})"),
            404 => settings.Invalid(RabbitMqSettings.Queue, $"the queue does not exist at rabbitmq {endpoint} ({said})"),
            405 => settings.Invalid(RabbitMqSettings.Queue,
                $"the queue is exclusive to another connection at rabbitmq {endpoint} ({said}); the Go procx declared its queue exclusive: stop it, or use another queue"),
            406 when said.Contains("timed out", StringComparison.Ordinal) => DriverException.Transient(
                $"rabbitmq at {endpoint} closed the channel: a message was held longer than its consumer_timeout ({said}); raise consumer_timeout in rabbitmq.conf for jobs this long (docs/rabbitmq.md)", e),
            406 when !said.Contains("inequivalent arg", StringComparison.Ordinal) => DriverException.Configuration($"rabbitmq at {endpoint} refused the request ({said})", e),
            406 => DriverException.Configuration(
                $"rabbitmq at {endpoint} refused the queue declaration ({said}): the queue exists with other arguments; match {settings.Names(RabbitMqSettings.Durable, RabbitMqSettings.QueueType, RabbitMqSettings.DeadLetterExchange, RabbitMqSettings.MessageTtl)}, or set -rabbitmq-passive to use it as it is", e),
            // connection-forced (broker shutting down or restarting), frame or channel errors: try again.
            _ => DriverException.Transient($"rabbitmq at {endpoint} closed the connection ({code}: {said})", e),
        };
    }

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

    private static T? Find<T>(Exception e) where T : Exception
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is T found)
            {
                return found;
            }
        }
        return null;
    }
}
