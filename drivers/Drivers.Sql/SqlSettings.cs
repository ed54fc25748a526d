using Drivers.Core.Settings;

namespace Drivers.Sql;

/// <summary>
/// Every flag and env var of one SQL driver (postgres, mysql, mssql, cockroach), declared once. The four
/// drivers take the same settings under their own flag prefix (<c>psql</c>, <c>mysql</c>, <c>mssql</c>,
/// <c>cockroach</c>) as in the originals, so the group is built once per prefix rather than copied four
/// times. The routing id exists only for cockroach and the query key only for postgres/cockroach, as in the
/// originals; the TLS flags exist for postgres, cockroach and mysql (mysql's are new here).
/// </summary>
internal sealed class SqlSettings
{
    /// <summary>SQL Server's settings live here, not beside its provider, so a build without SqlClient still declares them.</summary>
    public static SqlSettings MsSql { get; } = new("mssql", "1433", sslMode: null, routingId: false, queryKey: false);

    public SqlSettings(string prefix, string defaultPort, string? sslMode, bool routingId, bool queryKey)
    {
        string N(string suffix) => $"{prefix}-{suffix}";
        Prefix = prefix;
        Host = new(N("host"), "Database server host name or address") { Default = "127.0.0.1" };
        Port = new(N("port"), "Database server port") { Type = SettingType.Int, Default = defaultPort, Min = "1", Max = "65535" };
        Database = new(N("database"), "Database to connect to");
        User = new(N("user"), "User to connect as");
        Password = new(N("password"), "Password of the user") { Secret = true };
        if (sslMode is not null)
        {
            SslMode = new(N("ssl-mode"), "TLS mode: disable, allow, prefer, require, verify-ca or verify-full")
            {
                Default = sslMode,
                Choices = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"],
            };
            TlsRootCert = new(N("tls-root-cert"), "PEM file of the CA that signed the server's certificate (verify-ca, verify-full)");
            TlsCert = new(N("tls-cert"), "PEM client certificate for mutual TLS (with the tls-key flag)");
            TlsKey = new(N("tls-key"), "PEM private key of the client certificate");
        }
        if (routingId)
        {
            RoutingId = new(N("routing-id"), "CockroachDB Serverless routing id (cluster name), sent as the --cluster option");
        }

        RetrieveQuery = new(N("retrieve-query"), "Query that selects the work; the payload is the JSON array of its rows. Claim rows with FOR UPDATE SKIP LOCKED (docs/sql.md)") { Required = true };
        RetrieveParams = new(N("retrieve-params"), ParamsHelp("the retrieve query"));
        RetrieveField = new(N("retrieve-field"), "Use one value as the payload instead of all rows: a path into the rows (0.work) or a column of the first row; binary columns arrive as raw bytes");
        ClearQuery = new(N("clear-query"), "Statement run after the child succeeded (e.g. DELETE or UPDATE … SET status)");
        ClearParams = new(N("clear-params"), ParamsHelp("the clear query") + "; templates render from the retrieved rows, e.g. {{0.id}}");
        FailQuery = new(N("fail-query"), "Statement run after the child failed (e.g. UPDATE … SET failure_count = failure_count + 1)");
        FailParams = new(N("fail-params"), ParamsHelp("the fail query") + "; templates render from the retrieved rows, e.g. {{0.id}}");
        if (queryKey)
        {
            QueryKey = new(N("query-key"), "The retrieve query returns (key, work): the payload is the second column and {{key}} in params is the first") { Type = SettingType.Bool };
        }
        Transaction = new(N("transaction"), "job: retrieve and clear/fail run in one transaction held until the job settles (row locks hold, a killed procx rolls back); statement: each query commits on its own, as in the original")
        {
            Default = "job",
            Choices = ["job", "statement"],
        };

        Query = new(N("query"), "Statement run per push, e.g. INSERT INTO t (id, name) VALUES ($1, $2)") { Required = true };
        // The originals read -<p>-params from *_<P>_QUERY_PARAMS; the name derived from the flag works too.
        Params = new(N("params"), ParamsHelp("the query") + "; templates render from the JSON input: {{id}}, {{address.street}}, {{pushx_payload}}")
        {
            EnvAliases = [$"{prefix.ToUpperInvariant()}_QUERY_PARAMS"],
        };
    }

    public string Prefix { get; }
    public Setting Host { get; }
    public Setting Port { get; }
    public Setting Database { get; }
    public Setting User { get; }
    public Setting Password { get; }
    public Setting? SslMode { get; }
    public Setting? TlsRootCert { get; }
    public Setting? TlsCert { get; }
    public Setting? TlsKey { get; }
    public Setting? RoutingId { get; }
    public Setting RetrieveQuery { get; }
    public Setting RetrieveParams { get; }
    public Setting RetrieveField { get; }
    public Setting ClearQuery { get; }
    public Setting ClearParams { get; }
    public Setting FailQuery { get; }
    public Setting FailParams { get; }
    public Setting? QueryKey { get; }
    public Setting Transaction { get; }
    public Setting Query { get; }
    public Setting Params { get; }

    private IEnumerable<Setting> Connection =>
        new[] { Host, Port, Database, User, Password, SslMode, TlsRootCert, TlsCert, TlsKey, RoutingId }.OfType<Setting>();

    public IReadOnlyList<Setting> Source =>
        [.. Connection, .. new[] { RetrieveQuery, RetrieveParams, RetrieveField, ClearQuery, ClearParams, FailQuery, FailParams, QueryKey, Transaction }.OfType<Setting>()];

    public IReadOnlyList<Setting> Sink => [.. Connection, Query, Params];

    private static string ParamsHelp(string what) =>
        $"Comma-separated values bound to the placeholders of {what} (never spliced into the SQL); double-quote a value to keep a comma in it";
}
