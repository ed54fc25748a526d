using Drivers.Core.Contracts;
using Drivers.Core;
using Drivers.Core.Registry;

namespace Drivers.Sql;

/// <summary>Registers the SQL drivers: postgres, cockroach, mysql, mssql (docs/sql.md).</summary>
public static class SqlDrivers
{
    private const string NoMsSql =
        "this build has no SQL Server driver: Microsoft.Data.SqlClient needs culture data, which the shipped " +
        "binaries leave out for start-up time; publish with -p:WithMssql=true to include it (docs/sql.md)";

    /// <summary>
    /// postgres, cockroach, mysql, and mssql's settings with a driver that explains how to get it. The shipped
    /// executables call this: nothing reaches SqlClient, so the AOT compiler leaves it out (16 MB, and a
    /// slower start for every job).
    /// </summary>
    public static DriverRegistry AddSqlDrivers(this DriverRegistry registry)
    {
        AddPortable(registry);
        registry
            .Add(new SourceDescriptor("mssql", Describe.Source(MsSql), MsSqlSettings.Source, _ => throw DriverException.Configuration(NoMsSql)))
            .Add(new SinkDescriptor("mssql", Describe.Sink(MsSql), MsSqlSettings.Sink, _ => throw DriverException.Configuration(NoMsSql)));
        return registry;
    }

    /// <summary>Every SQL driver, SQL Server included (builds with -p:WithMssql=true, and the tests).</summary>
    public static DriverRegistry AddSqlDriversWithMsSql(this DriverRegistry registry)
    {
        AddPortable(registry);
        Add(registry, new MsSqlProvider("mssql", MsSqlSettings), MsSql);
        return registry;
    }

    private const string MsSql = "SQL Server (in builds with -p:WithMssql=true)";

    private static SqlSettings MsSqlSettings => SqlSettings.MsSql;

    private static void AddPortable(DriverRegistry registry)
    {
        Add(registry, new PostgresProvider("postgres", PostgresProvider.PostgresSettings), "PostgreSQL");
        Add(registry, new PostgresProvider("cockroach", PostgresProvider.CockroachSettings), "CockroachDB");
        Add(registry, new MySqlProvider("mysql", MySqlProvider.MySqlSettings), "MySQL/MariaDB");
    }

    private static void Add(DriverRegistry registry, SqlProvider provider, string what) => registry
        .Add(new SourceDescriptor(provider.Name, Describe.Source(what), provider.Settings.Source, c => new SqlSource(provider, c)))
        .Add(new SinkDescriptor(provider.Name, Describe.Sink(what), provider.Settings.Sink, c => new SqlSink(provider, c)));

    private static class Describe
    {
        public static string Source(string what) => $"Rows from a {what} query, claimed in a transaction held until the job settles; clear/fail run parameterised statements";

        public static string Sink(string what) => $"Runs a parameterised {what} statement with values rendered from the input";
    }
}
