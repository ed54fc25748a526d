using System.Data.Common;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;

namespace Drivers.Sql;

/// <summary>What a database error means for the user, whatever the database: each provider sorts its own codes.</summary>
internal enum SqlErrorKind
{
    /// <summary>The server could not be reached or dropped the connection: retry.</summary>
    Unreachable,
    /// <summary>The server refused the user or password.</summary>
    Credentials,
    /// <summary>The database named by the settings does not exist, or the user may not use it.</summary>
    UnknownDatabase,
    /// <summary>The statement is wrong: syntax, an unknown table or column, a missing privilege.</summary>
    BadStatement,
    /// <summary>The values do not fit: a constraint, a cast, a too-long value.</summary>
    BadData,
    /// <summary>Anything else the server said (a deadlock, a restart, too many connections): retry.</summary>
    Other,
}

/// <summary>
/// Turns a database error into one line that names the server, the statement's setting and the flag and env
/// var to change: a wrong statement, user or database is a configuration error (procx stops with 78 and
/// the row stays where it was), an unreachable server a transient one. Used at every call site, and by the
/// host as the driver's <see cref="IFailureTranslator"/> for anything that escapes.
/// </summary>
internal sealed class SqlErrors(SqlProvider provider, SettingValues values) : IFailureTranslator
{
    private string Endpoint => $"{values.GetString(provider.Settings.Host)}:{values.GetString(provider.Settings.Port)}";

    private string Server => $"{provider.Name} at {Endpoint}";

    public DriverException? Translate(Exception error) => error switch
    {
        DriverException d => d,
        DbException db => For(db, statement: null),
        _ when IsNetwork(error) => Unreachable(error, ErrorText.NetworkReason(error) ?? ErrorText.Describe(error)),
        _ => null,
    };

    /// <summary>What a client throws unwrapped when it cannot connect (Npgsql: a SocketException for an unknown host).</summary>
    public static bool IsNetwork(Exception e) => e is System.Net.Sockets.SocketException or IOException or TimeoutException;

    /// <summary>The error of running the statement that <paramref name="statement"/> holds (null: connecting).</summary>
    public DriverException For(DbException e, Setting? statement)
    {
        var (kind, text) = provider.Classify(e);
        text = ErrorText.OneLine(text);
        var s = provider.Settings;
        return kind switch
        {
            SqlErrorKind.Unreachable => Unreachable(e, ErrorText.NetworkReason(e) ?? text),
            SqlErrorKind.Credentials => DriverException.Configuration(
                $"{Server} refused the credentials ({text}): check {values.Names(s.User, s.Password)}", e),
            SqlErrorKind.UnknownDatabase => DriverException.Configuration(
                $"{Server}: {text}: check {values.Names(s.Database, s.User)}", e),
            SqlErrorKind.BadStatement => DriverException.Configuration(
                $"{Server}: {Which(statement)} failed: {text}: check {Check(statement)}", e),
            SqlErrorKind.BadData => DriverException.DataError(
                $"{Server}: {Which(statement)} failed on this item's values: {text}", e),
            _ => DriverException.Transient($"{Server}: {Which(statement)} failed: {text}", e),
        };
    }

    /// <summary>
    /// The error of opening a connection. Some clients (MySqlConnector) report an unreachable server without the
    /// socket error, so the reason comes from dialling once more.
    /// </summary>
    public async Task<DriverException> ConnectFailedAsync(Exception e)
    {
        if (e is not DbException db)
        {
            return Translate(e) ?? throw new InvalidOperationException("not a connection error", e);
        }
        if (provider.Classify(db).Kind != SqlErrorKind.Unreachable || ErrorText.NetworkReason(db) is not null)
        {
            return For(db, statement: null);
        }
        var s = provider.Settings;
        var reason = await ConnectionProbe.ReasonAsync(values.GetString(s.Host) ?? "", values.GetInt(s.Port),
            $"the port is open but the {provider.Name} handshake failed").ConfigureAwait(false);
        return Unreachable(db, reason);
    }

    private DriverException Unreachable(Exception e, string reason) =>
        values.Unreachable(provider.Name, Endpoint, reason, e, provider.Settings.Host, provider.Settings.Port);

    private static string Which(Setting? statement) => statement is null ? "connecting" : "-" + statement.Name;

    /// <summary>The statement's setting; while connecting, what the server was sent: database, user, options.</summary>
    private string Check(Setting? statement)
    {
        if (statement is not null)
        {
            return values.Names(statement);
        }
        var s = provider.Settings;
        return s.RoutingId is { } routing ? values.Names(s.Database, s.User, routing) : values.Names(s.Database, s.User);
    }
}
