using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Writes the JSON input (an object) as a document of <c>-gcp-firestore-collection</c>. With
/// <c>-gcp-firestore-id</c> (a template) the document is created or replaced; without, Firestore picks the ID.
/// </summary>
internal sealed class FirestoreSink : ISinkDriver
{
    private readonly FirestoreClient _firestore;
    private readonly string _collection;
    private readonly SettingTemplate? _id;

    public FirestoreSink(DriverContext context)
    {
        var s = context.Settings;
        _collection = s.GetRequiredString(FirestoreSettings.Collection).Trim('/');
        _id = SettingTemplate.Parse(s, FirestoreSettings.Id);
        _firestore = new FirestoreClient(GcpApi.Create(s, GcpService.Firestore, GcpSettings.FirestoreEmulatorHost));
    }

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        JsonObject document;
        try
        {
            document = JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("the input is not a JSON object");
        }
        catch (JsonException e)
        {
            throw DriverException.DataError($"gcp-firestore needs a JSON object as input: {e.Message}");
        }
        string? id = null;
        if (_id is not null)
        {
            id = _id.Render(TemplateData.FromJson(document));
            if (id.Length == 0 || id.Contains('/', StringComparison.Ordinal))
            {
                throw DriverException.DataError($"-gcp-firestore-id rendered '{id}', which is not a document ID (empty or has '/')");
            }
        }
        await _firestore.WriteAsync(_collection, id, FirestoreClient.ToFields(document), cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
