using System.Text.Json;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Aws;

/// <summary>
/// Takes messages from an SQS queue (one per fetch, or a batch of up to 10 for -concurrency), long-polling up to the host's wait (at most SQS's 20 s).
/// Clear deletes the message; fail makes it visible again at once (visibility 0) instead of leaving it hidden
/// for the rest of its timeout; while the child runs the host renews the visibility timeout through
/// <see cref="ILeasedSource"/>, so a job longer than the timeout is not handed to a second worker.
/// Each message's receipt travels in its <see cref="WorkItem"/>: fetches may run concurrently.
/// </summary>
internal sealed class SqsSource : ISourceDriver, ILeasedSource, IBatchSource, IFailureTranslator
{
    private const int DefaultVisibilitySeconds = 30;
    private const int MaxWaitSeconds = 20;
    private const int MaxBatch = 10;

    private readonly IAmazonSQS _sqs;
    private readonly string _queueUrl;
    private readonly bool _includeId;
    private readonly int? _configuredVisibility;
    private readonly ILog _log;
    private readonly Lazy<Task<int>> _visibility;
    private readonly AwsErrors _errors;

    public SqsSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _errors = new AwsErrors(settings, "aws-sqs");
        _queueUrl = settings.GetRequiredString(SqsSettings.QueueUrl);
        _includeId = settings.GetBool(SqsSettings.IncludeId);
        if (settings.IsSet(SqsSettings.VisibilityTimeout))
        {
            var timeout = settings.GetDuration(SqsSettings.VisibilityTimeout); // 1s to 12h: the setting declares its range
            _configuredVisibility = (int)Math.Ceiling(timeout.TotalSeconds);
        }
        _sqs = new AwsClientFactory(settings).CreateSqs();
        _visibility = new Lazy<Task<int>>(ReadVisibilityAsync);
    }

    /// <summary>A third of the visibility timeout: two renewals may fail before the message reappears.</summary>
    public TimeSpan LeaseRenewalInterval =>
        TimeSpan.FromSeconds(Math.Max(0.25, VisibilitySeconds / 3.0));

    private int VisibilitySeconds =>
        _configuredVisibility ?? (_visibility.IsValueCreated && _visibility.Value.IsCompletedSuccessfully ? _visibility.Value.Result : DefaultVisibilitySeconds);

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)) is [var item] ? item : null;

    /// <summary>One ReceiveMessage for up to <paramref name="max"/> messages (SQS hands out at most 10).</summary>
    public async Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        await _visibility.Value.ConfigureAwait(false);
        ReceiveMessageResponse response;
        try
        {
            response = await _sqs.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = _queueUrl,
                MaxNumberOfMessages = Math.Clamp(max, 1, MaxBatch),
                WaitTimeSeconds = (int)Math.Clamp(Math.Ceiling(wait.TotalSeconds), 0, MaxWaitSeconds),
                VisibilityTimeout = _configuredVisibility,
                MessageSystemAttributeNames = ["All"],
                MessageAttributeNames = ["All"],
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot receive from {_queueUrl}", SqsSettings.QueueUrl);
        }
        return response.Messages is { Count: > 0 } messages ? messages.Select(ToWorkItem).ToList() : [];
    }

    private WorkItem ToWorkItem(Message message)
    {
        var encoded = message.MessageAttributes?.TryGetValue(SqsWire.EncodingAttribute, out var enc) == true && enc.StringValue == SqsWire.Base64;
        var body = SqsWire.Decode(message.Body ?? "", encoded);
        var payload = _includeId ? WrapWithId(message.MessageId, message.Body ?? "") : body;
        return new WorkItem(Payload.FromBytes(payload))
        {
            Id = message.MessageId,
            Receipt = message.ReceiptHandle,
            TemplateData = TemplateData.FromPayloadBytes(body).With("id", message.MessageId),
        };
    }

    public async Task ClearAsync(WorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            await _sqs.DeleteMessageAsync(_queueUrl, item.Receipt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot delete message {item.Id}", SqsSettings.QueueUrl);
        }
    }

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => MakeVisibleAsync(item, cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => MakeVisibleAsync(item, cancellationToken);

    private async Task MakeVisibleAsync(WorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            await _sqs.ChangeMessageVisibilityAsync(_queueUrl, item.Receipt, 0, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            // The message still reappears when its visibility timeout runs out.
            _log.Warn("aws-sqs: could not make the failed message visible again; it reappears after its visibility timeout",
                ("id", item.Id), ("error", e.Message));
        }
    }

    public async Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            await _sqs.ChangeMessageVisibilityAsync(_queueUrl, item.Receipt, VisibilitySeconds, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            throw _errors.For(e, $"cannot extend the visibility of message {item.Id}", SqsSettings.QueueUrl);
        }
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public ValueTask DisposeAsync()
    {
        _sqs.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<int> ReadVisibilityAsync()
    {
        if (_configuredVisibility is { } configured)
        {
            return configured;
        }
        try
        {
            var attributes = await _sqs.GetQueueAttributesAsync(new GetQueueAttributesRequest
            {
                QueueUrl = _queueUrl,
                AttributeNames = ["VisibilityTimeout"],
            }).ConfigureAwait(false);
            return attributes.VisibilityTimeout is > 0 and var v ? v : DefaultVisibilitySeconds;
        }
        catch (Exception e) when (AwsErrors.IsAws(e))
        {
            var error = _errors.For(e, "cannot read the queue's visibility timeout", SqsSettings.QueueUrl);
            if (error.Kind == FailureKind.Configuration)
            {
                throw error; // no receive would work either: say so once, with what to change
            }
            _log.Warn("aws-sqs: cannot read the queue's visibility timeout; assuming 30s", ("error", error.Message));
            return DefaultVisibilitySeconds;
        }
    }

    /// <summary>The original's -aws-sqs-include-id shape: {"id": "message id", "body": "the body, as a string"}.</summary>
    private static byte[] WrapWithId(string messageId, string rawBody)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", messageId);
            writer.WriteString("body", rawBody);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
