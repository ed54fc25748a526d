using Drivers.Core.Settings;

namespace Drivers.Gcp;

/// <summary>Every flag and env var of the gcp-bq driver, declared once.</summary>
internal static class BigQuerySettings
{
    public static readonly Setting Query = new("gcp-bq-query", "GoogleSQL statement run per push, a template rendered from the JSON input; values are escaped inside quotes and must be numbers/booleans/null outside them");

    public static readonly Setting Dataset = new("gcp-bq-dataset", "Dataset of -gcp-bq-table (streaming insert instead of -gcp-bq-query)");

    public static readonly Setting Table = new("gcp-bq-table", "Table the JSON input (an object, or an array of objects) is inserted into with the streaming insert API");

    public static readonly Setting RetrieveQuery = new("gcp-bq-retrieve-query", "Query that selects the work") { Required = true };

    public static readonly Setting RetrieveField = new("gcp-bq-retrieve-field", "Column of the first row to use as the payload (BYTES are decoded); unset: the JSON array of all rows");

    public static readonly Setting ClearQuery = new("gcp-bq-clear-query", "Statement run after success; a template over the retrieved rows, e.g. DELETE FROM d.t WHERE id = {{0.id}}");

    public static readonly Setting FailQuery = new("gcp-bq-fail-query", "Statement run after failure; a template over the retrieved rows");

    public static IReadOnlyList<Setting> Source { get; } =
        [.. GcpSettings.Connection(GcpSettings.BigQueryEmulatorHost), RetrieveQuery, RetrieveField, ClearQuery, FailQuery];

    public static IReadOnlyList<Setting> Sink { get; } = [.. GcpSettings.Connection(GcpSettings.BigQueryEmulatorHost), Query, Dataset, Table];
}
