using System.Data.Common;
using Drivers.Core.Settings;
using MySqlConnector;

namespace Drivers.Sql;

/// <summary>MySQL and MariaDB (<c>-mysql-*</c>) through MySqlConnector; placeholders are <c>?</c>.</summary>
internal sealed class MySqlProvider(string name, SqlSettings settings) : SqlProvider(name, settings)
{
    public static SqlSettings MySqlSettings { get; } = new("mysql", "3306", tls: false, routingId: false, queryKey: false);

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
            // The originals' driver returned DATETIME as local-less values; keep them unspecified, not shifted.
            DateTimeKind = MySqlDateTimeKind.Unspecified,
            ApplicationName = "procx",
        };
        return new MySqlDataSource(builder.ConnectionString);
    }

    public override DbParameter CreateParameter(int index, object? value) => new MySqlParameter { Value = value ?? DBNull.Value };
}
