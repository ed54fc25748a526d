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
/// the bytes or a parsed document beside it.
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

    public ValueTask DisposeAsync() => _db.DisposeAsync();

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
