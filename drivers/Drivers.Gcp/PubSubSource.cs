using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Logging;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Pulls messages from a subscription: one per fetch, or as many as -concurrency has free slots. Unlike the original, which never acknowledged (so every
/// job came back), clear acknowledges and fail sets the ack deadline to 0 so the message is redelivered at
/// once. A pulled message's deadline is set to <c>-gcp-pubsub-ack-extension</c> and renewed by the host
/// while the child runs (<see cref="ILeasedSource"/>). Messages still held when the driver is disposed are
/// handed back the same way, so a stopped procx returns its work at once rather than after the deadline.
/// </summary>
internal sealed class PubSubSource : ISourceDriver, ILeasedSource, IBatchSource
{
    /// <summary>How long a "no wait" pull is held open against production Pub/Sub.</summary>
    internal static readonly TimeSpan ProductionNoWaitPull = TimeSpan.FromSeconds(10);

    private readonly GcpApi _api;
    private readonly string _subscriptionSetting;
    private readonly int _deadlineSeconds;
    private readonly ILog _log;
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);
    private string? _subscription;

    public PubSubSource(DriverContext context)
    {
        var settings = context.Settings;
        _log = context.Log;
        _subscriptionSetting = settings.GetRequiredString(PubSubSettings.Subscription);
        var extension = settings.GetDuration(PubSubSettings.AckExtension); // 10s to 600s: the setting declares its range
        _deadlineSeconds = (int)extension.TotalSeconds;
        _api = GcpApi.Create(settings, GcpService.PubSub, GcpSettings.PubSubEmulatorHost);
    }

    /// <summary>Renew at a third of the deadline, so two renewals may fail before the message is redelivered.</summary>
    public TimeSpan LeaseRenewalInterval => TimeSpan.FromSeconds(_deadlineSeconds / 3.0);

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        (await FetchBatchAsync(1, wait, cancellationToken).ConfigureAwait(false)) is [var item] ? item : null;

    /// <summary>One pull for up to <paramref name="max"/> messages (-concurrency asks for its free slots).</summary>
    public async Task<IReadOnlyList<WorkItem>> FetchBatchAsync(int max, TimeSpan wait, CancellationToken cancellationToken)
    {
        var subscription = await SubscriptionAsync(cancellationToken).ConfigureAwait(false);
        // Production Pub/Sub may answer a returnImmediately pull with nothing although messages wait (and the
        // flag is deprecated), so there even "no wait" holds the pull open briefly; emulators answer exactly.
        if (wait <= TimeSpan.Zero && !_api.IsEmulator)
        {
            wait = ProductionNoWaitPull;
        }
        var request = new JsonObject { ["maxMessages"] = Math.Max(1, max), ["returnImmediately"] = wait <= TimeSpan.Zero };
        JsonNode? body;
        if (wait <= TimeSpan.Zero)
        {
            (_, body) = await _api.SendJsonAsync(HttpMethod.Post, $"/v1/{subscription}:pull", request, $"pull {subscription}", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using var waitCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            waitCts.CancelAfter(wait);
            try
            {
                (_, body) = await _api.SendJsonAsync(HttpMethod.Post, $"/v1/{subscription}:pull", request, $"pull {subscription}", waitCts.Token, timeout: wait + TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return []; // waited long enough: no work
            }
        }
        if (body?["receivedMessages"] is not JsonArray { Count: > 0 } received)
        {
            return [];
        }
        var items = new List<WorkItem>(received.Count);
        foreach (var entry in received.OfType<JsonObject>())
        {
            items.Add(await ToWorkItemAsync(subscription, entry, cancellationToken).ConfigureAwait(false));
        }
        return items;
    }

    private async Task<WorkItem> ToWorkItemAsync(string subscription, JsonObject received, CancellationToken cancellationToken)
    {
        var ackId = received["ackId"]?.GetValue<string>() ?? throw DriverException.Transient($"Pub/Sub pull from {subscription} gave a message without an ackId");
        var message = received["message"] as JsonObject ?? new JsonObject();
        var data = message["data"]?.GetValue<string>() is { Length: > 0 } b64 ? Convert.FromBase64String(b64) : [];
        _held[ackId] = 0;
        // The subscription's own deadline may be as short as 10s: set ours before the child starts.
        await ModifyDeadlineAsync(subscription, ackId, _deadlineSeconds, cancellationToken).ConfigureAwait(false);

        var templateData = TemplateData.FromPayloadBytes(data)
            .With("messageId", message["messageId"]?.GetValue<string>())
            .With("publishTime", message["publishTime"]?.GetValue<string>())
            .With("orderingKey", message["orderingKey"]?.GetValue<string>())
            .With("attributes", message["attributes"]?.DeepClone())
            .With("deliveryAttempt", received["deliveryAttempt"]?.DeepClone());
        return new WorkItem(Payload.FromBytes(data))
        {
            Id = message["messageId"]?.GetValue<string>(),
            Receipt = ackId,
            TemplateData = templateData,
        };
    }

    public async Task ClearAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var subscription = await SubscriptionAsync(cancellationToken).ConfigureAwait(false);
        await _api.SendJsonAsync(HttpMethod.Post, $"/v1/{subscription}:acknowledge", new JsonObject { ["ackIds"] = new JsonArray(item.Receipt!) },
            $"acknowledge on {subscription}", cancellationToken).ConfigureAwait(false);
        _held.TryRemove(item.Receipt!, out _);
    }

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => NackAsync(item, cancellationToken);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken) => NackAsync(item, cancellationToken);

    private async Task NackAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var subscription = await SubscriptionAsync(cancellationToken).ConfigureAwait(false);
        await ModifyDeadlineAsync(subscription, item.Receipt!, 0, cancellationToken).ConfigureAwait(false);
        _held.TryRemove(item.Receipt!, out _);
    }

    public async Task RenewLeaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var subscription = await SubscriptionAsync(cancellationToken).ConfigureAwait(false);
        await ModifyDeadlineAsync(subscription, item.Receipt!, _deadlineSeconds, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        var held = _held.Keys.ToArray();
        if (held.Length == 0 || _subscription is null)
        {
            return;
        }
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var ids = new JsonArray(held.Select(id => (JsonNode?)JsonValue.Create(id)).ToArray());
            await _api.SendJsonAsync(HttpMethod.Post, $"/v1/{_subscription}:modifyAckDeadline", new JsonObject { ["ackIds"] = ids, ["ackDeadlineSeconds"] = 0 },
                $"return unsettled messages to {_subscription}", cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DriverException or OperationCanceledException)
        {
            // They come back anyway when their deadline passes.
            _log.Warn("could not hand back unsettled messages; they are redelivered after their ack deadline", ("error", e.Message));
        }
    }

    private Task ModifyDeadlineAsync(string subscription, string ackId, int seconds, CancellationToken cancellationToken) =>
        _api.SendJsonAsync(HttpMethod.Post, $"/v1/{subscription}:modifyAckDeadline",
            new JsonObject { ["ackIds"] = new JsonArray(ackId), ["ackDeadlineSeconds"] = seconds },
            $"set the ack deadline to {seconds.ToString(CultureInfo.InvariantCulture)}s on {subscription}", cancellationToken);

    private async Task<string> SubscriptionAsync(CancellationToken cancellationToken) =>
        _subscription ??= _subscriptionSetting.StartsWith("projects/", StringComparison.Ordinal)
            ? _subscriptionSetting
            : PubSubSettings.FullName(await _api.ProjectIdAsync(cancellationToken).ConfigureAwait(false), "subscriptions", _subscriptionSetting);
}
