using System.Data.Common;
using Drivers.Core.Settings;
using MySqlConnector;

namespace Drivers.Sql;

/// <summary>MySQL and MariaDB (<c>-mysql-*</c>) through MySqlConnector; placeholders are <c>?</c>.</summary>
internal sealed class MySqlProvider(string name, SqlSettings settings) : SqlProvider(name, settings)
{
    // The original had no TLS flags and its Go driver did not encrypt; "prefer" (MySqlConnector's default)
    // keeps plain servers working and lets MySQL 8's caching_sha2_password authenticate over TLS.
    public static SqlSettings MySqlSettings { get; } = new("mysql", "3306", sslMode: "prefer", routingId: false, queryKey: false);

    public override DbDataSource CreateDataSource(SettingValues values)
    {
        var s = Settings;
        var builder = new MySqlConnectionStringBuilder
        {
            Server = values.GetString(s.Host),
            Port = (uint)values.GetInt(s.Port),
            Database = values.GetString(s.Database) ?? "",
            UserID = values.GetString(s.User) ?? "",
            Password = values.GetString(s.Password) ?? "",
            SslMode = values.GetString(s.SslMode!) switch
            {
                "disable" => MySqlSslMode.None,
                "require" => MySqlSslMode.Required,
                "verify-ca" => MySqlSslMode.VerifyCA,
                "verify-full" => MySqlSslMode.VerifyFull,
                _ => MySqlSslMode.Preferred,
            },
            SslCa = CheckedFile(values, s.TlsRootCert!) ?? "",
            SslCert = CheckedFile(values, s.TlsCert!) ?? "",
            SslKey = CheckedFile(values, s.TlsKey!) ?? "",
            // DATETIME has no zone: keep values as stored, never shifted to local time.
            DateTimeKind = MySqlDateTimeKind.Unspecified,
            ApplicationName = "procx",
        };
        return new MySqlDataSource(builder.ConnectionString);
    }

    // MySqlConnector sends a batch as one multi-statement COM_QUERY, values inlined as escaped literals, and the
    // server drops a packet over max_allowed_packet (16 MiB by default on MariaDB, 64 MiB on MySQL 8): 4 MiB of
    // lines leaves room for escaping that doubles a value and the statement text repeated per line.
    public override (int Count, long Bytes)? BatchLimits => (1000, 4L * 1024 * 1024);

    public override DbParameter CreateParameter(int index, object? value) => new MySqlParameter { Value = value ?? DBNull.Value };

    /// <summary>By MySQL/MariaDB error number (the server's error reference) and MySqlConnector's own codes.</summary>
    public override (SqlErrorKind Kind, string Text) Classify(DbException error) => error switch
    {
        MySqlException m => (m.ErrorCode switch
        {
            MySqlErrorCode.UnableToConnectToHost => SqlErrorKind.Unreachable,
            MySqlErrorCode.AccessDenied => SqlErrorKind.Credentials,
            // MariaDB answers 1044 (access denied to the database) for a database that does not exist, too.
            MySqlErrorCode.UnknownDatabase or MySqlErrorCode.DatabaseAccessDenied => SqlErrorKind.UnknownDatabase,
            MySqlErrorCode.BadFieldError or MySqlErrorCode.ParseError or MySqlErrorCode.NoSuchTable or MySqlErrorCode.EmptyQuery
                or MySqlErrorCode.BadTable or MySqlErrorCode.TableAccessDenied
                or MySqlErrorCode.ColumnAccessDenied or MySqlErrorCode.WrongValueCountOnRow => SqlErrorKind.BadStatement,
            MySqlErrorCode.DuplicateKeyEntry or MySqlErrorCode.ColumnCannotBeNull or MySqlErrorCode.TruncatedWrongValueForField
                or MySqlErrorCode.DataTooLong or MySqlErrorCode.NoReferencedRow2 or MySqlErrorCode.RowIsReferenced2
                or MySqlErrorCode.TruncatedWrongValue => SqlErrorKind.BadData,
            _ when m.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException => SqlErrorKind.Unreachable,
            _ => SqlErrorKind.Other,
        }, m.Number > 0 ? $"{m.Message} (error {m.Number})" : m.Message),
        _ => (SqlErrorKind.Other, error.Message),
    };
}
