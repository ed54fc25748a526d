using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// Runs <c>-gcp-bq-retrieve-query</c>; the payload is the JSON array of the rows (as in the original) or,
/// with <c>-gcp-bq-retrieve-field</c>, that column of the first row. Clear/fail statements are templates
/// over the rows the job got (<c>{{0.id}}</c>), rendered injection-safe. BigQuery has no leases: rows a job
/// of this process holds are left out of later fetches until settled; other processes see them as in the
/// original, so the retrieve query should select only unclaimed rows.
/// </summary>
internal sealed class BigQuerySource : ISourceDriver
{
    private readonly BigQueryClient _bq;
    private readonly string _retrieve;
    private readonly string? _field;
    private readonly Template? _clear;
    private readonly Template? _fail;
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public BigQuerySource(DriverContext context)
    {
        var settings = context.Settings;
        _retrieve = settings.GetRequiredString(BigQuerySettings.RetrieveQuery);
        _field = settings.GetString(BigQuerySettings.RetrieveField) is { Length: > 0 } f ? f : null;
        _clear = Parse(settings, BigQuerySettings.ClearQuery);
        _fail = Parse(settings, BigQuerySettings.FailQuery);
        _bq = new BigQueryClient(GcpApi.Create(settings, GcpService.BigQuery, GcpSettings.BigQueryEmulatorHost));
    }

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var result = await _bq.QueryAsync(_retrieve, cancellationToken).ConfigureAwait(false);
        List<JsonNode> taken;
        lock (_gate)
        {
            var free = result.Rows.Where(r => r is not null && !_inFlight.Contains(r.ToJsonString())).Select(r => r!).ToList();
            taken = _field is null ? free : free.Take(1).ToList();
            foreach (var row in taken)
            {
                _inFlight.Add(row.ToJsonString());
            }
        }
        if (taken.Count == 0)
        {
            return null;
        }
        var rows = new JsonArray(taken.Select(r => r.DeepClone()).ToArray());
        byte[] payload;
        var data = TemplateData.FromJson(rows);
        if (_field is null)
        {
            payload = Encoding.UTF8.GetBytes(rows.ToJsonString());
        }
        else
        {
            var value = taken[0][_field];
            payload = value switch
            {
                null => [],
                JsonValue v when v.GetValueKind() == JsonValueKind.String && result.Types.GetValueOrDefault(_field) == "BYTES" => Convert.FromBase64String(v.GetValue<string>()),
                JsonValue v when v.GetValueKind() == JsonValueKind.String => Encoding.UTF8.GetBytes(v.GetValue<string>()),
                var other => Encoding.UTF8.GetBytes(other.ToJsonString()),
            };
            data = data.With("key", value?.DeepClone());
        }
        return new WorkItem(Payload.FromBytes(payload))
        {
            TemplateData = data,
            DriverState = taken.Select(r => r.ToJsonString()).ToList(),
        };
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _clear, BigQuerySettings.ClearQuery, cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) => SettleAsync(item, _fail, BigQuerySettings.FailQuery, cancellationToken);

    /// <summary>Its rows are no longer held here: the next fetch may take them again. No statement runs.</summary>
    public Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        Forget(item);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task SettleAsync(WorkItem item, Template? statement, Setting setting, CancellationToken cancellationToken)
    {
        try
        {
            if (statement is not null)
            {
                var sql = BigQuerySql.Render(statement, item.TemplateData ?? TemplateData.Empty, setting.Name);
                await _bq.QueryAsync(sql, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Forget(item);
        }
    }

    private void Forget(WorkItem item)
    {
        lock (_gate)
        {
            foreach (var key in (List<string>)item.DriverState!)
            {
                _inFlight.Remove(key);
            }
        }
    }

    private static Template? Parse(SettingValues settings, Setting setting)
    {
        if (settings.GetString(setting) is not { Length: > 0 } text)
        {
            return null;
        }
        try
        {
            var template = Template.Parse(text);
            BigQuerySql.Validate(template, setting.Name);
            return template;
        }
        catch (TemplateException e)
        {
            throw settings.Invalid(setting, e.Message);
        }
    }
}
