using System.Globalization;
using Drivers.Core.Registry;

namespace Drivers.Sql;

/// <summary>
/// KEDA's SQL scalers (<c>postgresql</c>, also for CockroachDB, which speaks its protocol; <c>mysql</c>;
/// <c>mssql</c>): each runs a count query the user writes (<c>-k8s-scale-query</c>; the retrieve query
/// selects one job, not how many wait) and scales to one replica per threshold rows.
/// </summary>
internal static class SqlKeda
{
    public static KedaScaler For(string driver, SqlSettings s) => driver switch
    {
        "mysql" => Scaler("mysql", s, "username", "dbName", "queryValue"),
        "mssql" => Scaler("mssql", s, "username", "database", "targetValue"),
        _ => Scaler("postgresql", s, "userName", "dbName", "targetQueryValue", sslMode: true),
    };

    private static KedaScaler Scaler(string type, SqlSettings s, string user, string database, string target, bool sslMode = false) => new(type, input =>
    {
        List<KeyValuePair<string, string>> metadata =
        [
            new("host", input.Settings.GetString(s.Host) ?? ""),
            new("port", input.Settings.GetString(s.Port) ?? ""),
            new(user, input.Settings.GetString(s.User) ?? ""),
            new(database, input.Settings.GetString(s.Database) ?? ""),
            new("query", input.Query ?? ""),
            new(target, input.Threshold.ToString(CultureInfo.InvariantCulture)),
        ];
        if (sslMode)
        {
            metadata.Add(new("sslmode", s.SslMode is { } mode ? input.Settings.GetString(mode) ?? "disable" : "disable"));
        }
        return metadata;
    })
    {
        Secrets = [new("password", s.Password)],
        NeedsQuery = true,
    };
}
