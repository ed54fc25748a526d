using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Takes one document from a collection: <c>-gcp-firestore-retrieve-document</c>, else the first match of
/// the query (path, op, value, order), else the first document. The payload is the document as JSON, or one
/// key of it. Clear/fail: <c>rm</c> deletes, <c>mv</c> moves it to another collection (same ID), <c>update</c>
/// merges a JSON object into it — each one atomic commit whose precondition is the update time that was
/// read, so a document changed meanwhile is not overwritten or lost. Documents a job of this process holds
/// are skipped by later fetches.
/// </summary>
internal sealed class FirestoreSource : ISourceDriver
{
    private readonly FirestoreClient _firestore;
    private readonly string _collection;
    private readonly string? _document;
    private readonly string? _jsonKey;
    private readonly JsonObject? _filter;
    private readonly JsonArray? _orderBy;
    private readonly Disposition _clear;
    private readonly Disposition _fail;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _clearedInPlace = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private sealed record Disposition(string? Op, string? Collection, JsonObject? Update);

    public FirestoreSource(DriverContext context)
    {
        var s = context.Settings;
        _collection = s.GetRequiredString(FirestoreSettings.RetrieveCollection).Trim('/');
        _document = NonEmpty(s.GetString(FirestoreSettings.RetrieveDocument));
        _jsonKey = NonEmpty(s.GetString(FirestoreSettings.RetrieveDocumentJsonKey));
        if (NonEmpty(s.GetString(FirestoreSettings.QueryPath)) is { } path)
        {
            var op = s.GetString(FirestoreSettings.QueryOp) ?? "==";
            _filter = new JsonObject
            {
                ["fieldFilter"] = new JsonObject
                {
                    ["field"] = new JsonObject { ["fieldPath"] = path },
                    ["op"] = FirestoreClient.OperatorName(op),
                    ["value"] = FirestoreClient.ToValue(ParseValue(s.GetString(FirestoreSettings.QueryValue))),
                },
            };
        }
        if (NonEmpty(s.GetString(FirestoreSettings.QueryOrderBy)) is { } orderBy)
        {
            var asc = string.Equals(s.GetString(FirestoreSettings.QueryOrder), "asc", StringComparison.OrdinalIgnoreCase);
            _orderBy = new JsonArray(new JsonObject { ["field"] = new JsonObject { ["fieldPath"] = orderBy }, ["direction"] = asc ? "ASCENDING" : "DESCENDING" });
        }
        _clear = Bind(s, FirestoreSettings.ClearOp, FirestoreSettings.ClearCollection, FirestoreSettings.ClearUpdate);
        _fail = Bind(s, FirestoreSettings.FailOp, FirestoreSettings.FailCollection, FirestoreSettings.FailUpdate);
        _firestore = new FirestoreClient(GcpApi.Create(s, GcpService.Firestore, GcpSettings.FirestoreEmulatorHost));
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        List<FirestoreDocument> candidates;
        if (_document is not null)
        {
            var one = await _firestore.GetAsync($"{_collection}/{_document}", cancellationToken).ConfigureAwait(false);
            candidates = one is null ? [] : [one];
        }
        else
        {
            int skip;
            lock (_gate)
            {
                skip = _inFlight.Count + _clearedInPlace.Count;
            }
            var query = new JsonObject { ["limit"] = skip + 1 };
            if (_filter is not null)
            {
                query["where"] = _filter.DeepClone();
            }
            if (_orderBy is not null)
            {
                query["orderBy"] = _orderBy.DeepClone();
            }
            candidates = await _firestore.RunQueryAsync(_collection, query, cancellationToken).ConfigureAwait(false);
        }
        FirestoreDocument? doc = null;
        lock (_gate)
        {
            doc = candidates.FirstOrDefault(d => !_inFlight.Contains(d.Name) && !_clearedInPlace.Contains(d.Name + "@" + d.UpdateTime));
            if (doc is not null)
            {
                _inFlight.Add(doc.Name);
            }
        }
        if (doc is null)
        {
            return null;
        }
        var data = FirestoreClient.FromFields(doc.Fields);
        return new WorkItem(Payload.FromBytes(PayloadOf(doc, data)))
        {
            Key = doc.Id,
            Id = doc.Name,
            DriverState = doc,
            TemplateData = TemplateData.FromJson(data).With("id", doc.Id).With("key", doc.Id),
        };
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, "clear", cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, "fail", cancellationToken);

    /// <summary>rm and mv take a failed document out of the collection; update may or may not leave it matching the query.</summary>
    public bool FailSetsAside => _fail.Op == "rm" || (_fail.Op == "mv" && _fail.Collection!.Trim('/') != _collection);

    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _inFlight.Remove(item.Id!);
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private byte[] PayloadOf(FirestoreDocument doc, JsonObject data)
    {
        if (_jsonKey is null)
        {
            return Encoding.UTF8.GetBytes(data.ToJsonString());
        }
        // A bytes field is delivered as its raw bytes; other values as the original's gjson did.
        if (!_jsonKey.Contains('.', StringComparison.Ordinal) && doc.Fields[_jsonKey] is JsonObject raw && raw["bytesValue"]?.GetValue<string>() is { } b64)
        {
            return Convert.FromBase64String(b64);
        }
        var value = TemplateData.FromJson(data).Resolve(_jsonKey, out _);
        return Encoding.UTF8.GetBytes(Template.FormatDefault(new TemplateValue(value, value is not null)));
    }

    private async Task SettleAsync(WorkItem item, Disposition plan, string phase, CancellationToken cancellationToken)
    {
        var doc = (FirestoreDocument)item.DriverState!;
        try
        {
            var precondition = new JsonObject { ["updateTime"] = doc.UpdateTime };
            var fields = (JsonObject)doc.Fields.DeepClone();
            if (plan.Update is not null)
            {
                foreach (var (key, value) in FirestoreClient.ToFields(plan.Update))
                {
                    fields[key] = value?.DeepClone();
                }
            }
            switch (plan.Op)
            {
                case "rm":
                    await _firestore.CommitAsync(new JsonArray(new JsonObject { ["delete"] = doc.Name, ["currentDocument"] = precondition }),
                        $"{phase}: delete {doc.Name}", cancellationToken).ConfigureAwait(false);
                    break;
                case "update":
                    await _firestore.CommitAsync(new JsonArray(new JsonObject
                    {
                        ["update"] = new JsonObject { ["name"] = doc.Name, ["fields"] = fields },
                        ["currentDocument"] = precondition,
                    }), $"{phase}: update {doc.Name}", cancellationToken).ConfigureAwait(false);
                    break;
                case "mv":
                    var root = doc.Name[..doc.Name.IndexOf("/documents/", StringComparison.Ordinal)];
                    var target = $"{root}/documents/{plan.Collection!.Trim('/')}/{doc.Id}";
                    await _firestore.CommitAsync(new JsonArray(
                        new JsonObject { ["update"] = new JsonObject { ["name"] = target, ["fields"] = fields } },
                        new JsonObject { ["delete"] = doc.Name, ["currentDocument"] = precondition }),
                        $"{phase}: move {doc.Name} to {plan.Collection}", cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    if (phase == "clear")
                    {
                        lock (_gate)
                        {
                            _clearedInPlace.Add(doc.Name + "@" + doc.UpdateTime);
                        }
                    }
                    break;
            }
        }
        finally
        {
            lock (_gate)
            {
                _inFlight.Remove(doc.Name);
            }
        }
    }

    private static Disposition Bind(SettingValues s, Setting op, Setting collection, Setting update)
    {
        var opValue = NonEmpty(s.GetString(op));
        var target = NonEmpty(s.GetString(collection));
        JsonObject? merge = null;
        if (NonEmpty(s.GetString(update)) is { } text)
        {
            try
            {
                merge = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                throw s.Invalid(update, $"not a JSON object: {e.Message}");
            }
        }
        if (opValue == "mv" && target is null)
        {
            throw s.Invalid(collection, $"-{op.Name} mv needs a collection to move to");
        }
        if (opValue == "update" && merge is null)
        {
            throw s.Invalid(update, $"-{op.Name} update needs a JSON object to merge");
        }
        return new Disposition(opValue, target, merge);
    }

    private static JsonNode? ParseValue(string? text)
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text); // bare text is a string, as in the original
        }
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
