using System.Data.Common;
using System.Text;
using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Sql;

/// <summary>
/// Runs <c>-…-query</c> once per push with <c>-…-params</c> rendered from the input (<c>{{id}}</c>,
/// <c>{{address.street}}</c>, <c>{{pushx_payload}}</c>) and bound as parameters: input can never change
/// the statement. The input is read whole, since templates need all of it; when the params read nothing but
/// <c>{{pushx_payload}}</c> it is decoded straight into the one string the client library binds, without
/// the bytes or a parsed document beside it. With a provider that has a batch call, <see cref="SqlBatchSink"/>
/// adds pushx -lines batches on top (<see cref="PushBatchAsync"/>).
/// </summary>
internal sealed class SqlSink : ISinkDriver, IFailureTranslator
{
    private readonly SqlProvider _provider;
    private readonly Core.Settings.SettingValues _values;
    private readonly DbDataSource _db;
    private readonly string _query;
    private readonly SqlParams _params;
    private readonly SqlErrors _errors;

    private const string PayloadVariable = "pushx_payload";

    public SqlSink(SqlProvider provider, DriverContext context)
    {
        _provider = provider;
        _values = context.Settings;
        _query = _values.GetRequiredString(provider.Settings.Query);
        _params = SqlParams.Parse(_values, provider.Settings.Params);
        _db = provider.CreateDataSource(_values);
        _errors = new SqlErrors(provider, _values);
    }

    public DriverException? Translate(Exception error) => _errors.Translate(error);

    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var values = await RenderAsync(payload, cancellationToken).ConfigureAwait(false);
        SqlJob connection;
        try
        {
            connection = await SqlJob.OpenAsync(_provider, _db, transaction: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException || SqlErrors.IsNetwork(e))
        {
            throw await _errors.ConnectFailedAsync(e).ConfigureAwait(false);
        }
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await connection.ExecuteAsync(_query, values, cancellationToken).ConfigureAwait(false);
            }
            catch (DbException e)
            {
                throw _errors.For(e, _provider.Settings.Query);
            }
        }
    }

    /// <summary>
    /// The statement once per line, each with the params rendered from that line as <see cref="PushAsync"/> renders
    /// them, sent as one batch (one round trip) in one transaction: all of them are committed or none. A line
    /// whose params cannot be rendered (not JSON while a param reads a field) is refused alone, unsent.
    /// </summary>
    internal async Task<IReadOnlyList<BatchRejection>> PushBatchAsync(IReadOnlyList<ReadOnlyMemory<byte>> messages, CancellationToken cancellationToken)
    {
        var rejections = new List<BatchRejection>();
        var statements = new List<IReadOnlyList<object?>>(messages.Count);
        var lines = new List<int>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            try
            {
                statements.Add(Render(messages[i].Span));
                lines.Add(i);
            }
            catch (DriverException e)
            {
                rejections.Add(new BatchRejection(i, e));
            }
        }
        if (statements.Count == 0)
        {
            return rejections;
        }
        SqlJob connection;
        try
        {
            connection = await SqlJob.OpenAsync(_provider, _db, transaction: true, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is DbException || SqlErrors.IsNetwork(e))
        {
            throw await _errors.ConnectFailedAsync(e).ConfigureAwait(false);
        }
        await using (connection.ConfigureAwait(false))
        {
            try
            {
                await connection.ExecuteBatchAsync(_query, statements, cancellationToken).ConfigureAwait(false);
                await connection.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (SqlBatchException e)
            {
                // Disposing the job rolls the transaction back: none of the batch is kept.
                var error = _errors.For(e.Error, _provider.Settings.Query);
                var which = e.Index is { } at ? $"the statement of the batch's line {lines[at] + 1} of {messages.Count}" : $"one of the batch's {statements.Count} statements";
                throw new DriverException(error.Kind, $"{error.Message} ({which}; the batch was rolled back)", e.Error);
            }
            catch (DbException e)
            {
                throw _errors.For(e, _provider.Settings.Query);
            }
        }
        return rejections;
    }

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    /// <summary>One line's values, as <see cref="RenderAsync"/> renders a payload of these bytes.</summary>
    private IReadOnlyList<object?> Render(ReadOnlySpan<byte> bytes)
    {
        var text = Encoding.UTF8.GetString(bytes);
        return _params.ReadsOnly(PayloadVariable)
            ? _params.Render(TemplateData.Empty.With(PayloadVariable, text))
            : _params.RenderInput(TemplateData.FromPayloadBytes(bytes).With(PayloadVariable, text));
    }

    private async Task<IReadOnlyList<object?>> RenderAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (_params.ReadsOnly(PayloadVariable))
        {
            var text = await payload.ReadUtf8StringAsync(cancellationToken).ConfigureAwait(false);
            return _params.Render(TemplateData.Empty.With(PayloadVariable, text));
        }
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        return _params.RenderInput(TemplateData.FromPayloadBytes(bytes).With(PayloadVariable, Encoding.UTF8.GetString(bytes)));
    }
}
