using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Publishes the input as one message to <c>-gcp-pubsub-topic</c>, with attributes and an ordering key
/// that may be templates rendered from the JSON input. A message is at most 10 MB (Pub/Sub's limit). A batch
/// (pushx -lines -batch-size) is one <c>projects.topics.publish</c> of up to 1,000 messages, each rendered
/// from its own line as a one-shot push renders it.
/// </summary>
internal sealed class PubSubSink : ISinkDriver, IBatchSink
{
    /// <summary>Pub/Sub's limit on one message's data.</summary>
    public const int MaxMessageBytes = 10_000_000;

    /// <summary>Pub/Sub's limits on one publish request: 1,000 messages, 10 MB.</summary>
    public const int MaxRequestMessages = 1_000;

    public const int MaxRequestBytes = 10_000_000;

    private readonly GcpApi _api;
    private readonly string _topicSetting;
    private readonly List<(string Name, SettingTemplate Value)> _attributes = [];
    private readonly SettingTemplate? _orderingKey;

    public PubSubSink(DriverContext context)
    {
        var settings = context.Settings;
        _topicSetting = settings.GetRequiredString(PubSubSettings.Topic);
        if (settings.GetString(PubSubSettings.Attributes) is { Length: > 0 } attributes)
        {
            JsonObject parsed;
            try
            {
                parsed = JsonNode.Parse(attributes) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                throw settings.Invalid(PubSubSettings.Attributes, $"not a JSON object of strings: {e.Message}");
            }
            foreach (var (name, value) in parsed)
            {
                if (value?.GetValueKind() != JsonValueKind.String)
                {
                    throw settings.Invalid(PubSubSettings.Attributes, $"attribute '{name}' is not a string");
                }
                _attributes.Add((name, SettingTemplate.Parse(settings, PubSubSettings.Attributes, value.GetValue<string>())));
            }
        }
        _orderingKey = SettingTemplate.Parse(settings, PubSubSettings.OrderingKey);
        _api = GcpApi.Create(settings, GcpService.PubSub, GcpSettings.PubSubEmulatorHost);
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (payload.Length is > MaxMessageBytes)
        {
            throw TooLarge(payload.Length.Value);
        }
        var data = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        var message = Message(data);
        var topic = await TopicAsync(cancellationToken).ConfigureAwait(false);
        // Publishing is retried like every call: a retry after a lost answer may publish twice (at-least-once).
        await PublishAsync(topic, new JsonArray(message), cancellationToken).ConfigureAwait(false);
    }

    public int MaxBatchCount => MaxRequestMessages;

    // The request carries the data base64-encoded (4/3 of its bytes) in JSON, with each message's attributes
    // and ordering key: the lines together get three quarters of the request, less room for those.
    public long MaxBatchBytes => 7_000_000;

    /// <summary>
    /// One publish call, which Pub/Sub takes or refuses as a whole: a failed call throws and names every line.
    /// A line that cannot be a message (too large, a template it does not satisfy, empty with no attributes,
    /// which would make Pub/Sub refuse the whole request) is refused here without being sent. Messages whose
    /// attributes push the request past 10 MB go in a further publish call.
    /// </summary>
    public async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var rejections = new List<BatchRejection>();
        var requests = new List<List<(int Index, JsonObject Message)>>();
        var bytes = 0L;
        for (var i = 0; i < messages.Count; i++)
        {
            JsonObject message;
            try
            {
                if (messages[i].Length == 0 && _attributes.Count == 0)
                {
                    throw DriverException.DataError("gcp-pubsub: the line is empty and there are no attributes; a Pub/Sub message needs data or attributes, so it was not sent");
                }
                message = Message(messages[i].ToArray());
            }
            catch (DriverException e)
            {
                rejections.Add(new BatchRejection(i, e));
                continue;
            }
            var size = Encoding.UTF8.GetByteCount(message.ToJsonString()) + 1;
            if (requests.Count == 0 || bytes + size > MaxRequestBytes)
            {
                requests.Add([]);
                bytes = "{\"messages\":[]}".Length;
            }
            requests[^1].Add((i, message));
            bytes += size;
        }
        if (requests.Count == 0)
        {
            return rejections;
        }
        var topic = await TopicAsync(cancellationToken).ConfigureAwait(false);
        for (var r = 0; r < requests.Count; r++)
        {
            try
            {
                await PublishAsync(topic, new JsonArray(requests[r].Select(m => (JsonNode)m.Message).ToArray()), cancellationToken).ConfigureAwait(false);
            }
            catch (DriverException e) when (r > 0)
            {
                // Earlier requests were published: this one and the rest are refused, to be sent again.
                rejections.AddRange(requests.Skip(r).SelectMany(x => x).Select(m => new BatchRejection(m.Index, e)));
                break;
            }
        }
        return rejections.OrderBy(x => x.Index).ToList();
    }

    /// <summary>The message as Pub/Sub's JSON takes it: base64 data, attributes and ordering key rendered from the bytes.</summary>
    private JsonObject Message(byte[] data)
    {
        if (data.Length > MaxMessageBytes)
        {
            throw TooLarge(data.Length);
        }
        var message = new JsonObject { ["data"] = Convert.ToBase64String(data) };
        if (_attributes.Count > 0 || _orderingKey is not null)
        {
            var templateData = TemplateData.FromPayloadBytes(data);
            if (_attributes.Count > 0)
            {
                var attributes = new JsonObject();
                foreach (var (name, value) in _attributes)
                {
                    attributes[name] = value.Render(templateData);
                }
                message["attributes"] = attributes;
            }
            if (_orderingKey?.Render(templateData) is { Length: > 0 } orderingKey)
            {
                message["orderingKey"] = orderingKey;
            }
        }
        return message;
    }

    private async Task<string> TopicAsync(CancellationToken cancellationToken) =>
        _topicSetting.StartsWith("projects/", StringComparison.Ordinal)
            ? _topicSetting
            : PubSubSettings.FullName(await _api.ProjectIdAsync(cancellationToken).ConfigureAwait(false), "topics", _topicSetting);

    private Task PublishAsync(string topic, JsonArray messages, CancellationToken cancellationToken) =>
        _api.SendJsonAsync(HttpMethod.Post, $"/v1/{topic}:publish", new JsonObject { ["messages"] = messages },
            $"publish to {topic}", cancellationToken);

    private static DriverException TooLarge(long bytes) =>
        DriverException.DataError($"the input is {bytes} bytes; a Pub/Sub message holds at most {MaxMessageBytes}");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
