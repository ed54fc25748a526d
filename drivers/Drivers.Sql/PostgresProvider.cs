using System.Data.Common;
using Drivers.Core.Settings;
using Npgsql;
using NpgsqlTypes;

namespace Drivers.Sql;

/// <summary>
/// PostgreSQL (<c>-psql-*</c>) and CockroachDB (<c>-cockroach-*</c>), which speaks the PostgreSQL protocol:
/// one Npgsql-based provider, two flag sets.
/// </summary>
internal sealed class PostgresProvider(string name, SqlSettings settings) : SqlProvider(name, settings)
{
    public static SqlSettings PostgresSettings { get; } = new("psql", "5432", sslMode: "disable", routingId: false, queryKey: true);

    public static SqlSettings CockroachSettings { get; } = new("cockroach", "26257", sslMode: "disable", routingId: true, queryKey: true);

    public override DbDataSource CreateDataSource(SettingValues values)
    {
        var s = Settings;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = values.GetString(s.Host),
            Port = values.GetInt(s.Port),
            Database = NullIfEmpty(values.GetString(s.Database)),
            Username = NullIfEmpty(values.GetString(s.User)),
            Password = NullIfEmpty(values.GetString(s.Password)),
            SslMode = values.GetString(s.SslMode!) switch
            {
                "allow" => SslMode.Allow,
                "prefer" => SslMode.Prefer,
                "require" => SslMode.Require,
                "verify-ca" => SslMode.VerifyCA,
                "verify-full" => SslMode.VerifyFull,
                _ => SslMode.Disable,
            },
            RootCertificate = CheckedFile(values, s.TlsRootCert!),
            SslCertificate = CheckedFile(values, s.TlsCert!),
            SslKey = CheckedFile(values, s.TlsKey!),
            // Two jobs per slot at most hold a connection each; the default pool (100) is plenty.
            ApplicationName = "procx",
        };
        if (s.RoutingId is { } routing && NullIfEmpty(values.GetString(routing)) is { } id)
        {
            // CockroachDB Serverless picks the tenant from the --cluster option, as the original did.
            builder.Options = $"--cluster={id}";
        }
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    // PostgreSQL caps a protocol message at 1 GB and sets no count on a pipeline; Npgsql writes a large batch
    // while it reads the results, so the pipeline cannot deadlock. A thousand statements keep one transaction
    // (and pushx's memory: the lines and their rendered values) modest.
    public override (int Count, long Bytes)? BatchLimits => (1000, 64L * 1024 * 1024);

    // Unknown: the value goes as untyped text and the server infers its type from the statement, as lib/pq
    // did for the originals, so "WHERE id = $1" with "42" works on an integer column.
    public override DbParameter CreateParameter(int index, object? value) =>
        new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown };

    // Npgsql hands a text value over as the UTF-8 bytes the server sent (the connection's encoding is UTF8).
    public override byte[]? ReadTextAsUtf8(DbDataReader reader, int ordinal) =>
        reader.GetDataTypeName(ordinal) is "text" or "character varying" ? reader.GetFieldValue<byte[]>(ordinal) : null;

    /// <summary>By SQLSTATE class (PostgreSQL's appendix A; CockroachDB uses the same codes).</summary>
    public override (SqlErrorKind Kind, string Text) Classify(DbException error) => error switch
    {
        // MessageText without the detail/position lines Message appends (they split a log line).
        PostgresException p => (p.SqlState switch
        {
            var c when c.StartsWith("28", StringComparison.Ordinal) => SqlErrorKind.Credentials,
            "3D000" => SqlErrorKind.UnknownDatabase,
            var c when c.StartsWith("42", StringComparison.Ordinal) || c == "3F000" => SqlErrorKind.BadStatement,
            var c when c.StartsWith("22", StringComparison.Ordinal) || c.StartsWith("23", StringComparison.Ordinal) => SqlErrorKind.BadData,
            _ => SqlErrorKind.Other,
        }, $"{p.MessageText} (SQLSTATE {p.SqlState})"),
        // Not the server's answer: Npgsql could not connect, or lost the connection.
        NpgsqlException n when n.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException
            || n.Message.StartsWith("Failed to connect", StringComparison.Ordinal) => (SqlErrorKind.Unreachable, n.Message),
        _ => (SqlErrorKind.Other, error.Message),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
