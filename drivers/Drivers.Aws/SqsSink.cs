using System.Globalization;
using System.Text;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Sends the input as one SQS message. FIFO group and deduplication ids and string message attributes may be
/// templates rendered from the input's JSON. SQS caps a message at 256 KiB: larger input is refused with a
/// clear error (put large payloads in S3 and send their key). A batch (pushx -lines -batch-size) is one
/// SendMessageBatch of up to 10 messages.
/// </summary>
internal sealed class SqsSink : ISinkDriver, IBatchSink, IFailureTranslator
{
    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly SettingTemplate? _groupId;
    private readonly SettingTemplate? _deduplicationId;
    private readonly List<(string Name, SettingTemplate Value)> _attributes = [];
    private readonly AwsErrors _errors;

    public SqsSink(DriverContext context)
    {
        var settings = context.Settings;
        _errors = new AwsErrors(settings, "aws-sqs");
        _queueUrl = settings.GetRequiredString(SqsSettings.QueueUrl);
        _groupId = SettingTemplate.Parse(settings, SqsSettings.MessageGroupId);
        _deduplicationId = SettingTemplate.Parse(settings, SqsSettings.DeduplicationId);
        if (settings.GetString(SqsSettings.MessageAttributes) is { Length: > 0 } text)
        {
            foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw settings.Invalid(SqsSettings.MessageAttributes, $"'{pair}' is not name=value");
                }
                _attributes.Add((pair[..eq], SettingTemplate.Parse(settings, SqsSettings.MessageAttributes, pair[(eq + 1)..])));
            }
        }
        _sqs = new AwsClientFactory(settings).CreateSqs();
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (payload.Length is > SqsWire.MaxMessageBytes)
        {
            throw TooLarge(payload.Length.Value);
        }
        var message = Message(await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false));
        var request = new SendMessageRequest
        {
            QueueUrl = _queueUrl,
            MessageBody = message.Body,
            MessageGroupId = message.GroupId,
            MessageDeduplicationId = message.DeduplicationId,
            MessageAttributes = message.Attributes,
        };
        try
        {
            await _sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot send to {_queueUrl}", SqsSettings.QueueUrl, invalid: FailureKind.Data);
        }
    }

    public int MaxBatchCount => 10;

    // A batch's bodies together are capped like one message; base64 of binary lines takes 4/3 of their bytes.
    public long MaxBatchBytes => SqsWire.MaxMessageBytes * 3 / 4;

    /// <summary>
    /// SendMessageBatch: SQS answers per message, so a refused line is reported by its index while the others
    /// were sent. A line that cannot be a message (empty, too large) is refused here without being sent.
    /// </summary>
    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var rejections = new List<BatchRejection>();
        var entries = new List<SendMessageBatchRequestEntry>();
        for (var i = 0; i < messages.Count; i++)
        {
            try
            {
                var message = Message(messages[i].ToArray());
                entries.Add(new SendMessageBatchRequestEntry
                {
                    Id = i.ToString(CultureInfo.InvariantCulture),
                    MessageBody = message.Body,
                    MessageGroupId = message.GroupId,
                    MessageDeduplicationId = message.DeduplicationId,
                    MessageAttributes = message.Attributes,
                });
            }
            catch (DriverException e)
            {
                rejections.Add(new BatchRejection(i, e));
            }
        }
        if (entries.Count == 0)
        {
            return rejections;
        }
        SendMessageBatchResponse response;
        try
        {
            response = await _sqs.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = _queueUrl, Entries = entries }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot send to {_queueUrl}", SqsSettings.QueueUrl, invalid: FailureKind.Data);
        }
        foreach (var failed in response.Failed ?? [])
        {
            // SenderFault: this message is wrong as it is; otherwise SQS could not take it now.
            var error = failed.SenderFault == true
                ? DriverException.DataError($"aws-sqs: SQS refused the message ({failed.Code}: {ErrorText.OneLine(failed.Message ?? "")})")
                : DriverException.Transient($"aws-sqs: SQS could not take the message now ({failed.Code})");
            rejections.Add(new BatchRejection(int.Parse(failed.Id, CultureInfo.InvariantCulture), error));
        }
        return rejections.OrderBy(r => r.Index).ToList();
    }

    /// <summary>The body (base64 when the bytes are not text SQS can carry) and the rendered ids and attributes.</summary>
    private SqsMessage Message(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            // SQS refuses an empty body; say so plainly (e.g. a failed procx child that printed nothing).
            throw DriverException.DataError("aws-sqs: the input is empty; SQS messages need a body, so nothing was sent");
        }
        var (body, encoded) = SqsWire.Encode(bytes);
        if (Encoding.UTF8.GetByteCount(body) > SqsWire.MaxMessageBytes)
        {
            throw TooLarge(bytes.Length);
        }
        var data = TemplateData.FromPayloadBytes(bytes);
        Dictionary<string, MessageAttributeValue>? attributes = null;
        if (_attributes.Count > 0 || encoded)
        {
            attributes = _attributes.ToDictionary(
                a => a.Name,
                a => new MessageAttributeValue { DataType = "String", StringValue = a.Value.Render(data) });
            if (encoded)
            {
                attributes[SqsWire.EncodingAttribute] = new MessageAttributeValue { DataType = "String", StringValue = SqsWire.Base64 };
            }
        }
        return new SqsMessage(body, _groupId?.Render(data), _deduplicationId?.Render(data), attributes);
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public ValueTask DisposeAsync()
    {
        _sqs.Dispose();
        return ValueTask.CompletedTask;
    }

    private static DriverException TooLarge(long bytes) =>
        DriverException.DataError($"aws-sqs: the input ({bytes} bytes, base64-encoded if binary) exceeds SQS's 256 KiB message limit; put large payloads in S3 (aws-s3) and send their key");

    private sealed record SqsMessage(string Body, string? GroupId, string? DeduplicationId, Dictionary<string, MessageAttributeValue>? Attributes);
}
