using System.Collections.Concurrent;
using System.Data.Common;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Sql;

/// <summary>
/// Runs the retrieve query; the payload is the JSON array of its rows, or one value of them
/// (<c>-…-retrieve-field</c>, <c>-…-query-key</c>). Clear/fail params are templates over the rows this job
/// got (<c>{{0.id}}</c>), bound as parameters. In the default <c>job</c> transaction mode the retrieve,
/// the child and the clear/fail share one transaction, so rows claimed with <c>FOR UPDATE SKIP LOCKED</c>
/// stay invisible to other workers until the job settles, and roll back if procx dies (docs/sql.md).
/// </summary>
internal sealed class SqlSource : ISourceDriver, IFailureTranslator
{
    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly SqlProvider _provider;
    private readonly DbDataSource _db;
    private readonly SqlErrors _errors;
    private readonly string _retrieve;
    private readonly SqlParams _retrieveParams;
    private readonly string? _field;
    private readonly string? _clear;
    private readonly SqlParams _clearParams;
    private readonly string? _fail;
    private readonly SqlParams _failParams;
    private readonly bool _queryKey;
    private readonly bool _holdTransaction;
    private readonly PayloadColumn? _payloadColumn;
    private readonly ConcurrentDictionary<SqlJob, byte> _open = new();

    public SqlSource(SqlProvider provider, DriverContext context)
    {
        var s = provider.Settings;
        var values = context.Settings;
        _provider = provider;
        _retrieve = values.GetRequiredString(s.RetrieveQuery);
        _retrieveParams = SqlParams.Parse(values, s.RetrieveParams);
        _field = values.GetString(s.RetrieveField) is { Length: > 0 } f ? f : null;
        _clear = values.GetString(s.ClearQuery) is { Length: > 0 } c ? c : null;
        _clearParams = SqlParams.Parse(values, s.ClearParams);
        _fail = values.GetString(s.FailQuery) is { Length: > 0 } q ? q : null;
        _failParams = SqlParams.Parse(values, s.FailParams);
        _queryKey = s.QueryKey is { } k && values.GetBool(k);
        _holdTransaction = values.GetString(s.Transaction) != "statement";
        if (_queryKey && _field is not null)
        {
            throw values.Invalid(s.RetrieveField, $"-{s.QueryKey!.Name} and -{s.RetrieveField.Name} both choose the payload; set one");
        }
        _db = provider.CreateDataSource(values);
        _errors = new SqlErrors(provider, values);
        _payloadColumn = PayloadColumnOf(_field);
    }

    /// <summary>
    /// -…-retrieve-field naming a column of the first row (<c>work</c>, <c>0.work</c>): read as bytes where the
    /// client can, kept in the template rows only if a clear/fail param may read it.
    /// </summary>
    private PayloadColumn? PayloadColumnOf(string? field)
    {
        var name = field is null ? null : field.StartsWith("0.", StringComparison.Ordinal) ? field[2..] : field;
        if (name is not { Length: > 0 } || name.Contains('.', StringComparison.Ordinal) || char.IsAsciiDigit(name[0]))
        {
            return null;
        }
        var read = _clearParams.MayRead("0." + name) || _failParams.MayRead("0." + name);
        return new PayloadColumn(name, read, _provider.ReadTextAsUtf8);
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public async Task<WorkItem?> FetchAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        var s = _provider.Settings;
        SqlJob job;
        try
        {
            job = await SqlJob.OpenAsync(_provider, _db, _holdTransaction, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException || SqlErrors.IsNetwork(e))
        {
            throw await _errors.ConnectFailedAsync(e).ConfigureAwait(false);
        }
        try
        {
            var binary = new HashSet<string>(StringComparer.Ordinal);
            JsonArray rows;
            byte[]? column;
            await using (var command = job.Command(_retrieve, _retrieveParams.Render(TemplateData.Empty)))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                (rows, column) = await SqlJson.ReadRowsAsync(reader, binary, _payloadColumn, cancellationToken).ConfigureAwait(false);
            }
            if (rows.Count == 0)
            {
                await job.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            var (payload, key) = column is not null ? (column, rows[0]!.AsObject().First().Value) : Select(rows, binary);
            var data = TemplateData.FromJson(rows);
            if (key is not null)
            {
                data = data.With("key", key.DeepClone());
            }
            if (!_holdTransaction)
            {
                // statement mode: the retrieve committed on its own (the original's behaviour); no hold.
                await job.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _open[job] = 0;
            }
            return new WorkItem(Payload.FromBytes(payload))
            {
                Key = key is null ? null : Template.FormatDefault(new TemplateValue(key, true)),
                TemplateData = data,
                DriverState = _holdTransaction ? job : null,
            };
        }
        catch (Exception e)
        {
            await job.DisposeAsync().ConfigureAwait(false);
            if (e is DbException db)
            {
                throw _errors.For(db, s.RetrieveQuery);
            }
            throw;
        }
    }

    public Task ClearAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync(item, _clear, _clearParams, _provider.Settings.ClearQuery, cancellationToken);

    public Task FailAsync(WorkItem item, CancellationToken cancellationToken) =>
        SettleAsync(item, _fail, _failParams, _provider.Settings.FailQuery, cancellationToken);

    /// <summary>Rolls the job's transaction back (its rows are retrieved again); without one there is nothing to undo.</summary>
    public async Task ReleaseAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.DriverState is SqlJob job && _open.TryRemove(job, out _))
        {
            await job.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Jobs never settled (shutdown, a killed child's procx exiting): roll back so their rows are retrieved again.
        foreach (var job in _open.Keys)
        {
            if (_open.TryRemove(job, out _))
            {
                await job.DisposeAsync().ConfigureAwait(false);
            }
        }
        await _db.DisposeAsync().ConfigureAwait(false);
    }

    private async Task SettleAsync(WorkItem item, string? sql, SqlParams parameters, Setting setting, CancellationToken cancellationToken)
    {
        var values = parameters.Render(item.TemplateData ?? TemplateData.Empty);
        if (item.DriverState is SqlJob job)
        {
            if (!_open.TryRemove(job, out _))
            {
                throw DriverException.Lost("the job's transaction already ended (rolled back); its rows will be retrieved again");
            }
            await using (job.ConfigureAwait(false))
            {
                try
                {
                    if (sql is not null)
                    {
                        await job.ExecuteAsync(sql, values, cancellationToken).ConfigureAwait(false);
                    }
                    await job.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (DbException e)
                {
                    throw _errors.For(e, setting);
                }
            }
            return;
        }
        if (sql is null)
        {
            return;
        }
        try
        {
            await using var statement = await SqlJob.OpenAsync(_provider, _db, transaction: false, cancellationToken).ConfigureAwait(false);
            await statement.ExecuteAsync(sql, values, cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e)
        {
            throw _errors.For(e, setting);
        }
    }

    /// <summary>The payload bytes and the job's key, as chosen by -…-retrieve-field / -…-query-key.</summary>
    private (byte[] Payload, JsonNode? Key) Select(JsonArray rows, HashSet<string> binary)
    {
        var first = rows[0]!.AsObject();
        if (_queryKey)
        {
            if (first.Count < 2)
            {
                throw DriverException.DataError($"-{_provider.Settings.QueryKey!.Name}: the retrieve query must return two columns (key, work)");
            }
            var columns = first.ToList();
            return (ToBytes(columns[1].Value, binary.Contains(columns[1].Key)), columns[0].Value);
        }
        var key = first.Count > 0 ? first.First().Value : null;
        if (_field is null)
        {
            return (Encoding.UTF8.GetBytes(rows.ToJsonString(JsonOut)), key);
        }
        // "0.work" is a path into the rows, as in the original README; a bare "work" is a column of the first row.
        var path = char.IsAsciiDigit(_field[0]) ? _field : "0." + _field;
        var value = JsonPath.Resolve(rows, path, out var found);
        if (!found)
        {
            var columns = string.Join(", ", first.Select(p => p.Key));
            throw DriverException.DataError($"-{_provider.Settings.RetrieveField.Name} '{_field}' is not in the retrieved rows (columns: {columns})");
        }
        return (ToBytes(value, binary.Contains(JsonPath.Split(path).Last())), key);
    }

    private static byte[] ToBytes(JsonNode? value, bool binary) => value switch
    {
        null => [],
        JsonValue v when v.GetValueKind() == JsonValueKind.String && binary => Convert.FromBase64String(v.GetValue<string>()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Encoding.UTF8.GetBytes(v.GetValue<string>()),
        var other => Encoding.UTF8.GetBytes(other.ToJsonString(JsonOut)),
    };
}
