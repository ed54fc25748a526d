using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Publishes the input as one message to <c>-gcp-pubsub-topic</c>, with attributes and an ordering key
/// that may be templates rendered from the JSON input. A message is at most 10 MB (Pub/Sub's limit).
/// </summary>
internal sealed class PubSubSink : ISinkDriver
{
    /// <summary>Pub/Sub's limit on one message's data.</summary>
    public const int MaxMessageBytes = 10_000_000;

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
            throw DriverException.DataError($"the input is {payload.Length} bytes; a Pub/Sub message holds at most {MaxMessageBytes}");
        }
        var data = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        if (data.Length > MaxMessageBytes)
        {
            throw DriverException.DataError($"the input is {data.Length} bytes; a Pub/Sub message holds at most {MaxMessageBytes}");
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
        var topic = _topicSetting.StartsWith("projects/", StringComparison.Ordinal)
            ? _topicSetting
            : PubSubSettings.FullName(await _api.ProjectIdAsync(cancellationToken).ConfigureAwait(false), "topics", _topicSetting);
        // Publishing is retried like every call: a retry after a lost answer may publish twice (at-least-once).
        await _api.SendJsonAsync(HttpMethod.Post, $"/v1/{topic}:publish", new JsonObject { ["messages"] = new JsonArray(message) },
            $"publish to {topic}", cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
