using System.Text;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Sends the input as one SQS message. FIFO group and deduplication ids and string message attributes may be
/// templates rendered from the input's JSON. SQS caps a message at 256 KiB: larger input is refused with a
/// clear error (put large payloads in S3 and send their key).
/// </summary>
internal sealed class SqsSink : ISinkDriver, IFailureTranslator
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
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
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
        var request = new SendMessageRequest
        {
            QueueUrl = _queueUrl,
            MessageBody = body,
            MessageGroupId = _groupId?.Render(data),
            MessageDeduplicationId = _deduplicationId?.Render(data),
        };
        if (_attributes.Count > 0 || encoded)
        {
            request.MessageAttributes = _attributes.ToDictionary(
                a => a.Name,
                a => new MessageAttributeValue { DataType = "String", StringValue = a.Value.Render(data) });
            if (encoded)
            {
                request.MessageAttributes[SqsWire.EncodingAttribute] = new MessageAttributeValue { DataType = "String", StringValue = SqsWire.Base64 };
            }
        }
        try
        {
            await _sqs.SendMessageAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot send to {_queueUrl}", SqsSettings.QueueUrl, invalid: FailureKind.Data);
        }
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public ValueTask DisposeAsync()
    {
        _sqs.Dispose();
        return ValueTask.CompletedTask;
    }

    private static DriverException TooLarge(long bytes) =>
        DriverException.DataError($"aws-sqs: the input ({bytes} bytes, base64-encoded if binary) exceeds SQS's 256 KiB message limit; put large payloads in S3 (aws-s3) and send their key");
}
