using Drivers.Core;
using Drivers.Core.Contracts;
using Drivers.Core.Registry;
using Drivers.Core.Templating;

namespace Drivers.Gcp;

/// <summary>
/// The gcp-bq sink: either runs <c>-gcp-bq-query</c> rendered from the JSON input (injection-safe, see
/// <see cref="BigQuerySql"/>), or inserts the JSON input into <c>-gcp-bq-dataset</c>.<c>-gcp-bq-table</c> with
/// the streaming insert API (<see cref="BigQueryTableSink"/>, which has a batch call).
/// </summary>
internal static class BigQuerySink
{
    public static ISinkDriver Create(DriverContext context)
    {
        var settings = context.Settings;
        var query = settings.GetString(BigQuerySettings.Query);
        var dataset = settings.GetString(BigQuerySettings.Dataset) is { Length: > 0 } d ? d : null;
        var table = settings.GetString(BigQuerySettings.Table) is { Length: > 0 } t ? t : null;
        if (!string.IsNullOrEmpty(query))
        {
            if (table is not null)
            {
                throw settings.Invalid(BigQuerySettings.Table, "set either -gcp-bq-query or -gcp-bq-dataset with -gcp-bq-table, not both");
            }
            var template = SettingTemplate.Parse(settings, BigQuerySettings.Query, query);
            BigQuerySql.Validate(template.Template, BigQuerySettings.Query.Name);
            return new BigQueryQuerySink(Client(context), template);
        }
        if (table is null || dataset is null)
        {
            throw settings.Invalid(BigQuerySettings.Query, "set -gcp-bq-query, or -gcp-bq-dataset and -gcp-bq-table");
        }
        return new BigQueryTableSink(Client(context), dataset, table);
    }

    private static BigQueryClient Client(DriverContext context) =>
        new(GcpApi.Create(context.Settings, GcpService.BigQuery, GcpSettings.BigQueryEmulatorHost));
}

/// <summary>
/// Runs the statement rendered from each input as one query job. It has no batch call: pushx -lines runs one
/// statement per line. A script of many lines' statements would run them one after another all the same (a
/// child job each), would leave the statements before a failing one applied with no answer per line, and
/// inside a transaction would refuse the DDL and other statements a one-shot push may run.
/// </summary>
internal sealed class BigQueryQuerySink(BigQueryClient bq, SettingTemplate query) : ISinkDriver
{
    public async Task PushAsync(Payload payload, CancellationToken cancellationToken)
    {
        var bytes = await payload.ReadAllBytesAsync(cancellationToken).ConfigureAwait(false);
        // A field one JSON input lacks renders as in the original (empty inside quotes; outside quotes an
        // error); input that is not JSON at all while the query reads fields is a data error.
        var data = TemplateData.FromPayloadBytes(bytes);
        query.RequireDocument(data);
        var sql = BigQuerySql.Render(query.Template, data, BigQuerySettings.Query.Name);
        await bq.QueryAsync(sql, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
