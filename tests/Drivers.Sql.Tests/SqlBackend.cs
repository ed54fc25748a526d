using System.Data.Common;
using System.Globalization;
using Drivers.Conformance;
using Drivers.Core.Registry;
using Drivers.Sql;
using Microsoft.Data.SqlClient;
using MySqlConnector;
using Npgsql;
using DotNet.Testcontainers.Builders;
using Testcontainers.MsSql;

namespace Drivers.Sql.Tests;

/// <summary>
/// One real database the tests talk to, with what differs between them: the driver and flag prefix, the
/// placeholder syntax, DDL types and the claim pattern. PostgreSQL and MariaDB come from
/// tests/services (PROCX_TEST_POSTGRES / PROCX_TEST_MARIADB, connection strings); CockroachDB and SQL Server
/// only from Testcontainers, so without Docker they skip with the reason shown.
/// </summary>
public sealed class SqlBackend
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, SqlBackend> Started = new(StringComparer.Ordinal);

    private SqlBackend(string driver, string prefix, string connectionString, DbDataSource admin, string host, int port, string database, string user, string password)
    {
        Driver = driver;
        Prefix = prefix;
        ConnectionString = connectionString;
        Admin = admin;
        Host = host;
        Port = port;
        Database = database;
        User = user;
        Password = password;
    }

    public static DriverRegistry Registry { get; } = new DriverRegistry().AddSqlDriversWithMsSql();

    /// <summary>postgres, mysql, cockroach, mssql.</summary>
    public string Driver { get; }

    /// <summary>The flag prefix: psql, mysql, cockroach, mssql.</summary>
    public string Prefix { get; }

    public string ConnectionString { get; }

    public DbDataSource Admin { get; }

    public string Host { get; }

    public int Port { get; }

    public string Database { get; }

    public string User { get; }

    public string Password { get; }

    public bool IsMySql => Driver == "mysql";

    public bool IsMsSql => Driver == "mssql";

    public static Task<SqlBackend> PostgresAsync() => GetAsync("postgres", () =>
    {
        var cs = TestServices.Require("PROCX_TEST_POSTGRES", "PostgreSQL");
        var b = new NpgsqlConnectionStringBuilder(cs);
        TestServices.Announce("postgres", $"PostgreSQL at {b.Host}:{b.Port} (PROCX_TEST_POSTGRES)");
        return Task.FromResult(new SqlBackend("postgres", "psql", cs, NpgsqlDataSource.Create(cs), b.Host!, b.Port, b.Database!, b.Username!, b.Password!));
    });

    public static Task<SqlBackend> MariaDbAsync() => GetAsync("mysql", () =>
    {
        var cs = TestServices.Require("PROCX_TEST_MARIADB", "MariaDB");
        var b = new MySqlConnectionStringBuilder(cs);
        TestServices.Announce("mysql", $"MariaDB at {b.Server}:{b.Port} (PROCX_TEST_MARIADB)");
        return Task.FromResult(new SqlBackend("mysql", "mysql", cs, new MySqlDataSource(cs), b.Server, (int)b.Port, b.Database, b.UserID, b.Password));
    });

    public static Task<SqlBackend> CockroachAsync() => GetAsync("cockroach", async () =>
    {
        RequireDocker("CockroachDB");
        // No Testcontainers module for CockroachDB in .NET: a generic single-node, insecure container.
        var container = new ContainerBuilder("cockroachdb/cockroach:v24.1.0")
            .WithCommand("start-single-node", "--insecure")
            .WithPortBinding(26257, true)
            .WithPortBinding(8080, true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilHttpRequestIsSucceeded(r => r.ForPort(8080).ForPath("/health?ready=1")))
            .Build();
        await container.StartAsync();
        var cs = $"Host={container.Hostname};Port={container.GetMappedPublicPort(26257)};Username=root;Database=defaultdb";
        var b = new NpgsqlConnectionStringBuilder(cs);
        TestServices.Announce("cockroach", $"Testcontainers cockroachdb/cockroach:v24.1.0 at {b.Host}:{b.Port}");
        return new SqlBackend("cockroach", "cockroach", cs, NpgsqlDataSource.Create(cs), b.Host!, b.Port, b.Database!, b.Username!, b.Password ?? "");
    });

    public static Task<SqlBackend> MsSqlAsync() => GetAsync("mssql", async () =>
    {
        RequireDocker("SQL Server");
        var container = new MsSqlBuilder("mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04").Build();
        await container.StartAsync();
        var cs = container.GetConnectionString();
        var b = new SqlConnectionStringBuilder(cs);
        var hostPort = b.DataSource.Split(',');
        TestServices.Announce("mssql", $"Testcontainers mssql/server:2022 at {b.DataSource}");
        return new SqlBackend("mssql", "mssql", cs, SqlClientFactory.Instance.CreateDataSource(cs), hostPort[0], int.Parse(hostPort[1], CultureInfo.InvariantCulture), b.InitialCatalog, b.UserID, b.Password);
    });

    private static void RequireDocker(string what)
    {
        if (!TestServices.DockerAvailable)
        {
            // Not installable from Debian packages here: only Testcontainers runs it (docs/sql.md).
            Xunit.Assert.Skip($"{what} runs only under Testcontainers and Docker is not available on this machine");
        }
    }

    private static async Task<SqlBackend> GetAsync(string key, Func<Task<SqlBackend>> start)
    {
        await Gate.WaitAsync();
        try
        {
            if (!Started.TryGetValue(key, out var backend))
            {
                backend = await start();
                Started[key] = backend;
            }
            return backend;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The placeholder of the <paramref name="n"/>-th parameter (1-based).</summary>
    public string P(int n) => Driver switch
    {
        "mysql" => "?",
        "mssql" => "@p" + n.ToString(CultureInfo.InvariantCulture),
        _ => "$" + n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>A table name no other test uses.</summary>
    public static string NewTable(string kind) => $"t_{kind}_{Guid.NewGuid():N}"[..30];

    public string AutoId => Driver switch
    {
        "mysql" => "INT AUTO_INCREMENT PRIMARY KEY",
        "mssql" => "INT IDENTITY PRIMARY KEY",
        _ => "SERIAL PRIMARY KEY",
    };

    public string Blob => Driver switch { "mysql" => "LONGBLOB", "mssql" => "VARBINARY(MAX)", _ => "BYTEA" };

    public string Text => Driver switch { "mysql" => "LONGTEXT", "mssql" => "NVARCHAR(MAX)", _ => "TEXT" };

    public string ShortText => Driver == "mssql" ? "NVARCHAR(200)" : "VARCHAR(200)";

    /// <summary>The claim pattern of docs/sql.md: one pending row, locked, skipping rows other workers hold.</summary>
    public string ClaimQuery(string table, string columns, string where) => IsMsSql
        ? $"SELECT TOP 1 {columns} FROM {table} WITH (UPDLOCK, READPAST, ROWLOCK) WHERE {where} ORDER BY id"
        : $"SELECT {columns} FROM {table} WHERE {where} ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED";

    /// <summary>The same without the lock: what the original README did.</summary>
    public string PlainQuery(string table, string columns, string where) => IsMsSql
        ? $"SELECT TOP 1 {columns} FROM {table} WHERE {where} ORDER BY id"
        : $"SELECT {columns} FROM {table} WHERE {where} ORDER BY id LIMIT 1";

    public async Task ExecAsync(string sql, params object?[] values)
    {
        await using var command = Admin.CreateCommand(sql);
        AddParameters(command, values);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<List<object?[]>> QueryAsync(string sql, params object?[] values)
    {
        await using var command = Admin.CreateCommand(sql);
        AddParameters(command, values);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<object?[]>();
        while (await reader.ReadAsync())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            rows.Add(row);
        }
        return rows;
    }

    public async Task<long> CountAsync(string sql) => Convert.ToInt64((await QueryAsync(sql))[0][0], CultureInfo.InvariantCulture);

    public Task DropAsync(string table) => ExecAsync($"DROP TABLE IF EXISTS {table}");

    private void AddParameters(DbCommand command, object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var p = command.CreateParameter();
            p.Value = values[i] ?? DBNull.Value;
            if (IsMsSql)
            {
                p.ParameterName = "@p" + (i + 1).ToString(CultureInfo.InvariantCulture);
            }
            command.Parameters.Add(p);
        }
    }

    /// <summary>The connection flags (no dashes) for this database.</summary>
    public Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string>
        {
            [$"{Prefix}-host"] = Host,
            [$"{Prefix}-port"] = Port.ToString(CultureInfo.InvariantCulture),
            [$"{Prefix}-database"] = Database,
            [$"{Prefix}-user"] = User,
            [$"{Prefix}-password"] = Password,
        };
        foreach (var (name, value) in more)
        {
            flags[name.StartsWith(Prefix + "-", StringComparison.Ordinal) ? name : $"{Prefix}-{name}"] = value;
        }
        return flags;
    }

    /// <summary>The same settings as command-line arguments for the executables.</summary>
    public List<string> Args(params (string Name, string Value)[] more) =>
        ["-driver", Driver, .. Flags(more).SelectMany(kv => new[] { "-" + kv.Key, kv.Value })];

    /// <summary>The same settings as env vars under <paramref name="tool"/> (PROCX / PUSHX).</summary>
    public Dictionary<string, string> Env(string tool, params (string Name, string Value)[] more)
    {
        var env = Flags(more).ToDictionary(kv => $"{tool}_{kv.Key.ToUpperInvariant().Replace('-', '_')}", kv => kv.Value);
        env[$"{tool}_DRIVER"] = Driver;
        return env;
    }
}
