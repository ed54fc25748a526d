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
            .Add(new SourceDescriptor("mssql", Describe.Source(MsSql), MsSqlSettings.Source, _ => throw DriverException.Configuration(NoMsSql))
            {
                Capabilities = Describe.Capabilities with { Keda = SqlKeda.For("mssql", MsSqlSettings) },
                Examples = Describe.SourceExamples(MsSqlSettings.Prefix),
            })
            .Add(new SinkDescriptor("mssql", Describe.Sink(MsSql), MsSqlSettings.Sink, _ => throw DriverException.Configuration(NoMsSql))
            {
                Examples = Describe.SinkExamples(MsSqlSettings.Prefix),
            });
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
        .Add(new SourceDescriptor(provider.Name, Describe.Source(what), provider.Settings.Source, c => new SqlSource(provider, c))
        {
            Capabilities = Describe.Capabilities with { Keda = SqlKeda.For(provider.Name, provider.Settings) },
            Examples = Describe.SourceExamples(provider.Settings.Prefix),
        })
        .Add(new SinkDescriptor(provider.Name, Describe.Sink(what), provider.Settings.Sink, c => Sink(provider, c))
        {
            Examples = Describe.SinkExamples(provider.Settings.Prefix),
        });

    private static ISinkDriver Sink(SqlProvider provider, DriverContext context) =>
        provider.BatchLimits is { } limits ? new SqlBatchSink(new SqlSink(provider, context), limits) : new SqlSink(provider, context);

    private static class Describe
    {
        public static string Source(string what) => $"Rows from a {what} query, claimed in a transaction held until the job settles; clear/fail run parameterised statements";

        public static string Sink(string what) => $"Runs a parameterised {what} statement with values rendered from the input";

        /// <summary>Every SQL source is the same <see cref="SqlSource"/>, so all declare the same.</summary>
        public static SourceCapabilities Capabilities { get; } = SourceCapabilities.Of<SqlSource>(DeliveryGuarantee.AtLeastOnce,
            "The rows are claimed in a transaction held until the job settles (with the driver's transaction setting at job); the fail query runs on fail, and a dead procx's claim is rolled back with its connection (docs/sql.md).");

        public static IReadOnlyList<UsageExample> SourceExamples(string prefix) =>
        [
            new("Claim one pending row, run the job, delete the row on success",
                $"procx -driver {DriverName(prefix)} -{prefix}-database app -{prefix}-retrieve-query \"{ClaimOne(prefix)}\" -{prefix}-clear-query \"DELETE FROM jobs WHERE id = {Placeholder(prefix)}\" -{prefix}-clear-params '{{{{0.id}}}}' ./job.sh"),
        ];

        public static IReadOnlyList<UsageExample> SinkExamples(string prefix) =>
        [
            new("Insert a row from a JSON input",
                $"echo '{{\"id\":1,\"name\":\"a\"}}' | pushx -driver {DriverName(prefix)} -{prefix}-database app -{prefix}-query \"INSERT INTO t (id, name) VALUES ({Placeholder(prefix)}, {Placeholder(prefix, 2)})\" -{prefix}-params '{{{{id}}}},{{{{name}}}}'"),
        ];

        private static string ClaimOne(string prefix) => prefix == "mssql"
            ? "SELECT TOP 1 id, work FROM jobs WITH (UPDLOCK, READPAST)"
            : "SELECT id, work FROM jobs LIMIT 1 FOR UPDATE SKIP LOCKED";

        private static string DriverName(string prefix) => prefix == "psql" ? "postgres" : prefix;

        private static string Placeholder(string prefix, int n = 1) => prefix switch
        {
            "mysql" => "?",
            "mssql" => $"@p{n}",
            _ => $"${n}",
        };
    }
}
