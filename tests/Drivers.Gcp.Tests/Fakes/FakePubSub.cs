using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>
/// Pub/Sub REST v1 as the drivers use it, with real semantics: topics fan out to their subscriptions; a
/// pulled message is leased until its ack deadline (the subscription's, then what modifyAckDeadline sets);
/// every delivery gets a new ack id (old ones stop working); an expired lease or a deadline of 0 makes the
/// message deliverable again with deliveryAttempt + 1; acknowledge removes it; a pull without
/// returnImmediately waits for a message; a publish request of at most 1,000 messages is published whole or
/// not at all, and each call's message count is recorded. Time is the wall clock plus <see cref="Skew"/> so tests can let
/// deadlines pass without sleeping.
/// </summary>
public sealed partial class FakePubSub : FakeServer
{
    private readonly Dictionary<string, List<string>> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Subscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _nextId = 1000;

    public TimeSpan Skew { get; set; }

    /// <summary>How long a waiting pull is held open at most.</summary>
    public TimeSpan MaxPullWait { get; set; } = TimeSpan.FromSeconds(5);

    private DateTimeOffset Now => DateTimeOffset.UtcNow + Skew;

    /// <summary>Pub/Sub's limit on the messages of one publish request.</summary>
    public const int MaxMessagesPerRequest = 1000;

    /// <summary>Pub/Sub's limit on the size of one publish request.</summary>
    public const int MaxRequestBytes = 10_000_000;

    /// <summary>How many messages each publish call carried, in the order the calls came (refused calls too; -1: over 10 MB, not read).</summary>
    public ConcurrentQueue<int> PublishCalls { get; } = new();

    /// <summary>A publish request holding a message with exactly these bytes is refused as a whole (400), none of it published.</summary>
    public byte[]? RefuseData { get; set; }

    public sealed class Message
    {
        public required string Id { get; init; }
        public required byte[] Data { get; init; }
        public JsonObject? Attributes { get; init; }
        public string? OrderingKey { get; init; }
        public DateTimeOffset PublishTime { get; init; }
        public string? AckId { get; set; }
        public DateTimeOffset? LeaseUntil { get; set; }
        public int DeliveryAttempt { get; set; }
    }

    private sealed class Subscription(string topic, int ackDeadlineSeconds)
    {
        public string Topic { get; } = topic;
        public int AckDeadlineSeconds { get; } = ackDeadlineSeconds;
        public List<Message> Messages { get; } = [];
    }

    public static async Task<FakePubSub> StartNewAsync()
    {
        var fake = new FakePubSub();
        await fake.StartAsync();
        return fake;
    }

    /// <summary>Every message not yet acknowledged on <paramref name="subscription"/> (waiting or leased).</summary>
    public IReadOnlyList<Message> Unacked(string subscription)
    {
        lock (_gate)
        {
            return _subscriptions.TryGetValue(subscription, out var s) ? s.Messages.ToList() : [];
        }
    }

    protected override async Task HandleAsync(HttpContext context, string path)
    {
        Match m;
        var method = context.Request.Method;
        if ((m = ResourcePath().Match(path)).Success && method == "PUT")
        {
            await CreateAsync(context, Uri.UnescapeDataString(m.Groups[1].Value), m.Groups[2].Value, Uri.UnescapeDataString(m.Groups[3].Value));
        }
        else if ((m = ActionPath().Match(path)).Success && method == "POST")
        {
            var name = $"projects/{Uri.UnescapeDataString(m.Groups[1].Value)}/{m.Groups[2].Value}/{Uri.UnescapeDataString(m.Groups[3].Value)}";
            if (m.Groups[4].Value == "publish" && context.Request.ContentLength > MaxRequestBytes)
            {
                // Measured here on the JSON as sent (base64 data): the stricter reading of Pub/Sub's 10 MB.
                PublishCalls.Enqueue(-1);
                await ErrorAsync(context, 400, "INVALID_ARGUMENT", $"Request payload size exceeds the limit: {MaxRequestBytes} bytes.");
                return;
            }
            var body = await ReadJsonAsync(context) as JsonObject ?? [];
            var task = (m.Groups[2].Value, m.Groups[4].Value) switch
            {
                ("topics", "publish") => Publish(context, name, body),
                ("subscriptions", "pull") => PullAsync(context, name, body),
                ("subscriptions", "acknowledge") => Acknowledge(context, name, body),
                ("subscriptions", "modifyAckDeadline") => ModifyAckDeadline(context, name, body),
                _ => ErrorAsync(context, 404, "NOT_FOUND", $"fake Pub/Sub has no action {m.Groups[4].Value}"),
            };
            await task;
        }
        else
        {
            await ErrorAsync(context, 404, "NOT_FOUND", $"fake Pub/Sub has no route {method} {path}");
        }
    }

    private async Task CreateAsync(HttpContext context, string project, string kind, string id)
    {
        var name = $"projects/{project}/{kind}/{id}";
        var body = await ReadJsonAsync(context) as JsonObject ?? [];
        lock (_gate)
        {
            if (kind == "topics")
            {
                if (!_topics.TryAdd(name, []))
                {
                    _ = ErrorAsync(context, 409, "ALREADY_EXISTS", "Topic already exists");
                    return;
                }
            }
            else
            {
                var topic = body["topic"]?.GetValue<string>() ?? "";
                if (!_topics.TryGetValue(topic, out var subs))
                {
                    _ = ErrorAsync(context, 404, "NOT_FOUND", "Topic not found");
                    return;
                }
                var deadline = body["ackDeadlineSeconds"]?.GetValue<int>() ?? 10;
                if (!_subscriptions.TryAdd(name, new Subscription(topic, deadline)))
                {
                    _ = ErrorAsync(context, 409, "ALREADY_EXISTS", "Subscription already exists");
                    return;
                }
                subs.Add(name);
            }
        }
        body["name"] = name;
        await JsonAsync(context, body);
    }

    private Task Publish(HttpContext context, string topic, JsonObject body)
    {
        var ids = new JsonArray();
        lock (_gate)
        {
            if (!_topics.TryGetValue(topic, out var subs))
            {
                return ErrorAsync(context, 404, "NOT_FOUND", $"Resource not found (resource={topic}).");
            }
            if (body["messages"] is not JsonArray { Count: > 0 } messages)
            {
                return ErrorAsync(context, 400, "INVALID_ARGUMENT", "The request contains no messages.");
            }
            PublishCalls.Enqueue(messages.Count);
            if (messages.Count > MaxMessagesPerRequest)
            {
                return ErrorAsync(context, 400, "INVALID_ARGUMENT",
                    $"The value for message_count is too large. You passed {messages.Count} in the request, but the maximum value is {MaxMessagesPerRequest}.");
            }
            // A request is published whole or not at all: every message is checked before any is kept.
            var checkedMessages = new List<(JsonObject Message, byte[] Data)>();
            foreach (var message in messages.OfType<JsonObject>())
            {
                byte[] data;
                try
                {
                    data = Convert.FromBase64String(message["data"]?.GetValue<string>() ?? "");
                }
                catch (FormatException)
                {
                    return ErrorAsync(context, 400, "INVALID_ARGUMENT", "Invalid data in message: not base64.");
                }
                if (data.Length == 0 && message["attributes"] is null)
                {
                    return ErrorAsync(context, 400, "INVALID_ARGUMENT", "A message must have data or attributes.");
                }
                if (RefuseData is { } refused && data.AsSpan().SequenceEqual(refused))
                {
                    return ErrorAsync(context, 400, "INVALID_ARGUMENT", "The request holds a message this fake was told to refuse.");
                }
                checkedMessages.Add((message, data));
            }
            foreach (var (message, data) in checkedMessages)
            {
                var id = (++_nextId).ToString(CultureInfo.InvariantCulture);
                ids.Add(id);
                foreach (var sub in subs)
                {
                    _subscriptions[sub].Messages.Add(new Message
                    {
                        Id = id,
                        Data = data,
                        Attributes = message["attributes"]?.DeepClone() as JsonObject,
                        OrderingKey = message["orderingKey"]?.GetValue<string>(),
                        PublishTime = Now,
                    });
                }
            }
        }
        return JsonAsync(context, new JsonObject { ["messageIds"] = ids });
    }

    private async Task PullAsync(HttpContext context, string name, JsonObject body)
    {
        var max = body["maxMessages"]?.GetValue<int>() ?? 0;
        if (max <= 0)
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", "maxMessages must be > 0");
            return;
        }
        var immediately = body["returnImmediately"]?.GetValue<bool>() ?? false;
        var until = DateTimeOffset.UtcNow + MaxPullWait;
        while (true)
        {
            JsonArray received;
            lock (_gate)
            {
                if (!_subscriptions.TryGetValue(name, out var sub))
                {
                    _ = ErrorAsync(context, 404, "NOT_FOUND", $"Resource not found (resource={name}).");
                    return;
                }
                received = Lease(sub, max);
            }
            if (received.Count > 0 || immediately || DateTimeOffset.UtcNow >= until || context.RequestAborted.IsCancellationRequested)
            {
                await JsonAsync(context, received.Count > 0 ? new JsonObject { ["receivedMessages"] = received } : new JsonObject());
                return;
            }
            try
            {
                await Task.Delay(25, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private JsonArray Lease(Subscription sub, int max)
    {
        var now = Now;
        var received = new JsonArray();
        var busyKeys = sub.Messages.Where(x => x.OrderingKey is { Length: > 0 } && x.LeaseUntil > now).Select(x => x.OrderingKey).ToHashSet();
        foreach (var message in sub.Messages)
        {
            if (received.Count >= max)
            {
                break;
            }
            if (message.LeaseUntil is { } lease && lease > now)
            {
                continue;
            }
            // Messages with one ordering key go out one at a time, in publish order.
            if (message.OrderingKey is { Length: > 0 } key && !busyKeys.Add(key))
            {
                continue;
            }
            message.AckId = $"ack-{message.Id}-{Guid.NewGuid():N}";
            message.LeaseUntil = now.AddSeconds(sub.AckDeadlineSeconds);
            message.DeliveryAttempt++;
            var wire = new JsonObject
            {
                ["data"] = Convert.ToBase64String(message.Data),
                ["messageId"] = message.Id,
                ["publishTime"] = message.PublishTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            };
            if (message.Attributes is not null)
            {
                wire["attributes"] = message.Attributes.DeepClone();
            }
            if (message.OrderingKey is not null)
            {
                wire["orderingKey"] = message.OrderingKey;
            }
            received.Add(new JsonObject { ["ackId"] = message.AckId, ["message"] = wire, ["deliveryAttempt"] = message.DeliveryAttempt });
        }
        return received;
    }

    private Task Acknowledge(HttpContext context, string name, JsonObject body)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(name, out var sub))
            {
                return ErrorAsync(context, 404, "NOT_FOUND", $"Resource not found (resource={name}).");
            }
            var ids = AckIds(body);
            if (ids.Count == 0)
            {
                return ErrorAsync(context, 400, "INVALID_ARGUMENT", "No ack ids specified.");
            }
            // An ack id from an earlier delivery no longer matches: the message stays (as on the real service).
            sub.Messages.RemoveAll(x => x.AckId is not null && ids.Contains(x.AckId));
        }
        return JsonAsync(context, new JsonObject());
    }

    private Task ModifyAckDeadline(HttpContext context, string name, JsonObject body)
    {
        var seconds = body["ackDeadlineSeconds"]?.GetValue<int>() ?? -1;
        if (seconds is < 0 or > 600)
        {
            return ErrorAsync(context, 400, "INVALID_ARGUMENT", "Invalid ack deadline: must be between 0 and 600 seconds.");
        }
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(name, out var sub))
            {
                return ErrorAsync(context, 404, "NOT_FOUND", $"Resource not found (resource={name}).");
            }
            var ids = AckIds(body);
            var now = Now;
            foreach (var message in sub.Messages.Where(x => x.AckId is not null && ids.Contains(x.AckId) && x.LeaseUntil > now))
            {
                message.LeaseUntil = seconds == 0 ? null : now.AddSeconds(seconds);
            }
        }
        return JsonAsync(context, new JsonObject());
    }

    private static HashSet<string> AckIds(JsonObject body) =>
        (body["ackIds"] as JsonArray ?? []).Select(x => x!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("^/v1/projects/([^/]+)/(topics|subscriptions)/([^/:]+)$")]
    private static partial Regex ResourcePath();

    [GeneratedRegex("^/v1/projects/([^/]+)/(topics|subscriptions)/([^/:]+):([A-Za-z]+)$")]
    private static partial Regex ActionPath();
}
