using Drivers.Core.Registry;

namespace Drivers.Sql;

/// <summary>Registers the SQL drivers: postgres, cockroach, mysql, mssql (docs/sql.md).</summary>
public static class SqlDrivers
{
    public static DriverRegistry AddSqlDrivers(this DriverRegistry registry)
    {
        Add(registry, new PostgresProvider("postgres", PostgresProvider.PostgresSettings), "PostgreSQL");
        Add(registry, new PostgresProvider("cockroach", PostgresProvider.CockroachSettings), "CockroachDB");
        Add(registry, new MySqlProvider("mysql", MySqlProvider.MySqlSettings), "MySQL/MariaDB");
        Add(registry, new MsSqlProvider("mssql", MsSqlProvider.MsSqlSettings), "SQL Server (needs a build without InvariantGlobalization)");
        return registry;
    }

    private static void Add(DriverRegistry registry, SqlProvider provider, string what) => registry
        .Add(new SourceDescriptor(provider.Name, $"Rows from a {what} query, claimed in a transaction held until the job settles; clear/fail run parameterised statements", provider.Settings.Source, c => new SqlSource(provider, c)))
        .Add(new SinkDescriptor(provider.Name, $"Runs a parameterised {what} statement with values rendered from the input", provider.Settings.Sink, c => new SqlSink(provider, c)));
}
