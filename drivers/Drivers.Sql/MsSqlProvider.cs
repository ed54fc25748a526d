using Drivers.Core.Contracts;
using System.Data.Common;
using System.Globalization;
using Drivers.Core;
using Drivers.Core.Settings;
using Microsoft.Data.SqlClient;

namespace Drivers.Sql;

/// <summary>
/// SQL Server (<c>-mssql-*</c>) through Microsoft.Data.SqlClient; placeholders are <c>@p1</c>, <c>@p2</c>, ….
/// SqlClient needs culture data (collations map to cultures), which a build with InvariantGlobalization=true
/// (how procx ships) does not have: the driver says so at start-up instead of failing mid-connect.
/// </summary>
internal sealed class MsSqlProvider(string name, SqlSettings settings) : SqlProvider(name, settings)
{
    public static SqlSettings MsSqlSettings => SqlSettings.MsSql;

    /// <summary>True when this process runs without culture data (InvariantGlobalization).</summary>
    public static bool InvariantGlobalization
    {
        get
        {
            if (AppContext.TryGetSwitch("System.Globalization.Invariant", out var invariant) && invariant)
            {
                return true;
            }
            try
            {
                return CultureInfo.GetCultureInfo("en-US").LCID == CultureInfo.InvariantCulture.LCID;
            }
            catch (CultureNotFoundException)
            {
                return true;
            }
        }
    }

    public override DbDataSource CreateDataSource(SettingValues values)
    {
        if (InvariantGlobalization)
        {
            throw DriverException.Configuration(
                "the mssql driver cannot run in this build: Microsoft.Data.SqlClient needs culture data and procx is built with " +
                "InvariantGlobalization=true; build procx/pushx with -p:InvariantGlobalization=false to use SQL Server (docs/sql.md)");
        }
        var s = Settings;
        var builder = new SqlConnectionStringBuilder
        {
            DataSource = $"{values.GetString(s.Host)},{values.GetInt(s.Port)}",
            InitialCatalog = values.GetString(s.Database) ?? "",
            UserID = values.GetString(s.User) ?? "",
            Password = values.GetString(s.Password) ?? "",
            // As the original's go-mssqldb: encrypt when the server asks for it, not by default.
            Encrypt = SqlConnectionEncryptOption.Optional,
            ApplicationName = "procx",
        };
        return SqlClientFactory.Instance.CreateDataSource(builder.ConnectionString);
    }

    /// <summary>By SQL Server error number: login failed, unknown database, invalid object or column, syntax.</summary>
    public override (SqlErrorKind Kind, string Text) Classify(DbException error) => error switch
    {
        SqlException s => (s.Number switch
        {
            18456 => SqlErrorKind.Credentials,
            4060 => SqlErrorKind.UnknownDatabase,
            102 or 156 or 207 or 208 or 229 or 2812 => SqlErrorKind.BadStatement,
            515 or 547 or 2601 or 2627 or 8152 or 245 => SqlErrorKind.BadData,
            // Number 0 or a network error (-2 timeout, 53 / 10061 not found or refused): the server was not reached.
            0 or -2 or 53 or 10061 or 11001 => SqlErrorKind.Unreachable,
            _ => SqlErrorKind.Other,
        }, $"{s.Message} (error {s.Number})"),
        _ => (SqlErrorKind.Other, error.Message),
    };

    public override DbParameter CreateParameter(int index, object? value) =>
        new SqlParameter("@p" + (index + 1).ToString(CultureInfo.InvariantCulture), value ?? DBNull.Value);
}
