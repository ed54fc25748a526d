using System.Data.Common;
using Drivers.Core.Settings;

namespace Drivers.Sql;

/// <summary>
/// What differs between the SQL databases: how to connect (from the driver's <see cref="SqlSettings"/>) and
/// how a positional parameter is bound. Everything else — retrieving rows, the transaction held per job,
/// templates, the JSON mapping — is shared by <see cref="SqlSource"/> and <see cref="SqlSink"/>.
/// </summary>
internal abstract class SqlProvider(string name, SqlSettings settings)
{
    /// <summary>The driver name: postgres, cockroach, mysql, mssql.</summary>
    public string Name { get; } = name;

    public SqlSettings Settings { get; } = settings;

    /// <summary>A pooled data source over the connection settings; validation errors name flag and env var.</summary>
    public abstract DbDataSource CreateDataSource(SettingValues values);

    /// <summary>
    /// Binds the <paramref name="index"/>-th value (0-based) to the statement's placeholders: <c>$1</c> on
    /// PostgreSQL/CockroachDB, <c>?</c> on MySQL/MariaDB, <c>@p1</c> on SQL Server.
    /// </summary>
    public abstract DbParameter CreateParameter(int index, object? value);

    /// <summary>
    /// The most lines and bytes one pushx -lines batch takes (<see cref="SqlBatchSink"/>), or null when this
    /// provider's sink pushes one line at a time (SQL Server: its batch path is not exercised here).
    /// </summary>
    public virtual (int Count, long Bytes)? BatchLimits => null;

    /// <summary>
    /// A text column's value as its UTF-8 bytes, read without a string between (null: this client cannot, or
    /// the column is not text). procx's payload column is read so: the item is held once, not three times.
    /// </summary>
    public virtual byte[]? ReadTextAsUtf8(DbDataReader reader, int ordinal) => null;

    /// <summary>What <paramref name="error"/> means (see <see cref="SqlErrors"/>) and the server's words for it, on one line.</summary>
    public abstract (SqlErrorKind Kind, string Text) Classify(DbException error);

    /// <summary>The path a TLS file setting names, or null when unset; a missing file names the flag and env var.</summary>
    protected static string? CheckedFile(SettingValues values, Setting setting)
    {
        if (values.GetString(setting) is not { Length: > 0 } path)
        {
            return null;
        }
        return File.Exists(path) ? path : throw values.Invalid(setting, $"file '{path}' does not exist");
    }

}
