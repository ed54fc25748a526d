using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Drivers.Gcp.Tests.Fakes;

/// <summary>
/// BigQuery REST v2 as the drivers use it: jobs.query (optionally answering "not complete" first, so the
/// client must poll getQueryResults), tables.insert and tabledata.insertAll (rows with an unknown field, or
/// that <see cref="RefuseRow"/> picks, are refused; without skipInvalidRows then none of the request is
/// inserted and the other rows are marked stopped, as BigQuery does). Statements are executed by a
/// small GoogleSQL subset with the real lexical rules (quoted strings with backslash escapes, comments,
/// several statements separated by ';'): SELECT cols FROM t [WHERE …] [ORDER BY c [DESC]] [LIMIT n],
/// INSERT INTO t (cols) VALUES (…), UPDATE t SET … [WHERE …], DELETE FROM t [WHERE …], DROP TABLE t.
/// So a value that escaped its literal would run as SQL here too. Every statement and row is recorded.
/// </summary>
public sealed partial class FakeBigQuery : FakeServer
{
    private readonly Dictionary<string, Table> _tables = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, JsonObject> _jobs = new();
    private readonly Lock _gate = new();

    public ConcurrentQueue<string> Statements { get; } = new();

    /// <summary>How many rows each insertAll call carried, in the order the calls came.</summary>
    public ConcurrentQueue<int> InsertAllCalls { get; } = new();

    /// <summary>Returns a reason (invalid, backendError, …) for a row insertAll is to refuse, null to take it.</summary>
    public Func<JsonObject, string?>? RefuseRow { get; set; }

    /// <summary>When true, jobs.query answers jobComplete=false and the result comes from getQueryResults.</summary>
    public bool SlowJobs { get; set; }

    public sealed class Table
    {
        public List<(string Name, string Type)> Schema { get; } = [];
        public List<JsonObject> Rows { get; } = [];
    }

    public static async Task<FakeBigQuery> StartNewAsync()
    {
        var fake = new FakeBigQuery();
        await fake.StartAsync();
        return fake;
    }

    public bool HasTable(string name)
    {
        lock (_gate)
        {
            return _tables.ContainsKey(name);
        }
    }

    public List<JsonObject> Rows(string table)
    {
        lock (_gate)
        {
            return _tables.TryGetValue(table, out var t) ? t.Rows.Select(r => (JsonObject)r.DeepClone()).ToList() : [];
        }
    }

    protected override async Task HandleAsync(HttpContext context, string path)
    {
        Match m;
        var method = context.Request.Method;
        try
        {
            if ((m = QueriesPath().Match(path)).Success && method == "POST")
            {
                var body = await ReadJsonAsync(context);
                var sql = body?["query"]?.GetValue<string>() ?? "";
                var result = Execute(sql);
                var jobId = "job_" + Guid.NewGuid().ToString("N");
                result["jobReference"] = new JsonObject { ["projectId"] = m.Groups[1].Value, ["jobId"] = jobId, ["location"] = "US" };
                result["kind"] = "bigquery#queryResponse";
                _jobs[jobId] = result;
                await JsonAsync(context, SlowJobs
                    ? new JsonObject { ["kind"] = "bigquery#queryResponse", ["jobReference"] = result["jobReference"]!.DeepClone(), ["jobComplete"] = false }
                    : result);
            }
            else if ((m = QueryResultsPath().Match(path)).Success && method == "GET")
            {
                if (!_jobs.TryGetValue(m.Groups[2].Value, out var result))
                {
                    await ErrorAsync(context, 404, "NOT_FOUND", "Not found: Job");
                    return;
                }
                await JsonAsync(context, result.DeepClone());
            }
            else if ((m = TablesPath().Match(path)).Success && method == "POST")
            {
                var body = await ReadJsonAsync(context);
                var id = $"{m.Groups[2].Value}.{body!["tableReference"]!["tableId"]!.GetValue<string>()}";
                var table = new Table();
                foreach (var field in (body["schema"]?["fields"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    table.Schema.Add((field["name"]!.GetValue<string>(), field["type"]?.GetValue<string>() ?? "STRING"));
                }
                lock (_gate)
                {
                    if (!_tables.TryAdd(id, table))
                    {
                        _ = ErrorAsync(context, 409, "ALREADY_EXISTS", $"Already Exists: Table {id}");
                        return;
                    }
                }
                await JsonAsync(context, body);
            }
            else if ((m = InsertAllPath().Match(path)).Success && method == "POST")
            {
                await InsertAllAsync(context, $"{m.Groups[2].Value}.{m.Groups[3].Value}");
            }
            else
            {
                await ErrorAsync(context, 404, "NOT_FOUND", $"fake BigQuery has no route {method} {path}");
            }
        }
        catch (SqlError e)
        {
            await ErrorAsync(context, 400, "INVALID_ARGUMENT", e.Message);
        }
    }

    private async Task InsertAllAsync(HttpContext context, string id)
    {
        var body = await ReadJsonAsync(context);
        var errors = new JsonArray();
        lock (_gate)
        {
            if (!_tables.TryGetValue(id, out var table))
            {
                _ = ErrorAsync(context, 404, "NOT_FOUND", $"Not found: Table {id}");
                return;
            }
            var rows = (body?["rows"] as JsonArray ?? []).OfType<JsonObject>().Select(r => r["json"] as JsonObject ?? []).ToList();
            InsertAllCalls.Enqueue(rows.Count);
            var valid = new List<JsonObject>();
            for (var index = 0; index < rows.Count; index++)
            {
                var json = rows[index];
                var unknown = json.Select(kv => kv.Key).FirstOrDefault(k => table.Schema.All(f => !f.Name.Equals(k, StringComparison.OrdinalIgnoreCase)));
                var (reason, message) = unknown is not null ? ("invalid", $"no such field: {unknown}.")
                    : RefuseRow?.Invoke(json) is { } chosen ? (chosen, $"refused by the test ({chosen})")
                    : (null, null);
                if (reason is null)
                {
                    valid.Add(json);
                }
                else
                {
                    errors.Add(RowError(index, reason, message!));
                }
            }
            if (errors.Count == 0 || body?["skipInvalidRows"]?.GetValue<bool>() == true)
            {
                table.Rows.AddRange(valid.Select(r => (JsonObject)r.DeepClone()));
            }
            else
            {
                // Without skipInvalidRows BigQuery inserts none of the request and marks every other row stopped.
                var refused = errors.Select(e => e!["index"]!.GetValue<int>()).ToHashSet();
                for (var index = 0; index < rows.Count; index++)
                {
                    if (!refused.Contains(index))
                    {
                        errors.Add(RowError(index, "stopped", ""));
                    }
                }
            }
        }
        await JsonAsync(context, errors.Count > 0 ? new JsonObject { ["kind"] = "bigquery#tableDataInsertAllResponse", ["insertErrors"] = errors } : new JsonObject { ["kind"] = "bigquery#tableDataInsertAllResponse" });
    }

    private static JsonObject RowError(int index, string reason, string message) =>
        new() { ["index"] = index, ["errors"] = new JsonArray(new JsonObject { ["reason"] = reason, ["location"] = "", ["message"] = message }) };

    /// <summary>Runs a script; the answer is the last SELECT's rows (or the DML count).</summary>
    private JsonObject Execute(string sql)
    {
        Statements.Enqueue(sql);
        var tokens = Lex(sql);
        var result = new JsonObject { ["jobComplete"] = true, ["totalRows"] = "0" };
        var p = new Parser(tokens);
        lock (_gate)
        {
            while (!p.End)
            {
                if (p.Accept(";"))
                {
                    continue;
                }
                result = Statement(p);
                if (!p.End && !p.Accept(";"))
                {
                    throw new SqlError($"Syntax error: Unexpected {p.Peek()}");
                }
            }
        }
        return result;
    }

    private JsonObject Statement(Parser p)
    {
        var keyword = p.Next().ToUpperInvariant();
        switch (keyword)
        {
            case "SELECT":
            {
                var columns = new List<string>();
                if (!p.Accept("*"))
                {
                    do { columns.Add(p.Ident()); } while (p.Accept(","));
                }
                p.Expect("FROM");
                var table = TableOf(p.Ident());
                var where = Where(p);
                IEnumerable<JsonObject> rows = table.Rows.Where(where);
                if (p.Accept("ORDER"))
                {
                    p.Expect("BY");
                    var column = p.Ident();
                    var desc = p.Accept("DESC");
                    p.Accept("ASC");
                    rows = desc ? rows.OrderByDescending(r => r[column]?.ToJsonString(), StringComparer.Ordinal) : rows.OrderBy(r => Sortable(r[column]), StringComparer.Ordinal);
                }
                if (p.Accept("LIMIT"))
                {
                    rows = rows.Take(int.Parse(p.Next(), CultureInfo.InvariantCulture));
                }
                var fields = columns.Count == 0 ? table.Schema : columns.Select(c => table.Schema.FirstOrDefault(f => f.Name.Equals(c, StringComparison.OrdinalIgnoreCase)) is { Name: not null } f ? f : throw new SqlError($"Unrecognized name: {c}")).ToList();
                var list = rows.ToList();
                return new JsonObject
                {
                    ["jobComplete"] = true,
                    ["schema"] = new JsonObject { ["fields"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["type"] = f.Type, ["mode"] = "NULLABLE" }).ToArray()) },
                    ["rows"] = new JsonArray(list.Select(r => (JsonNode)new JsonObject { ["f"] = new JsonArray(fields.Select(f => (JsonNode)new JsonObject { ["v"] = Wire(r[f.Name], f.Type) }).ToArray()) }).ToArray()),
                    ["totalRows"] = list.Count.ToString(CultureInfo.InvariantCulture),
                };
            }
            case "INSERT":
            {
                p.Accept("INTO");
                var name = p.Ident();
                p.Expect("(");
                var columns = new List<string>();
                do { columns.Add(p.Ident()); } while (p.Accept(","));
                p.Expect(")");
                p.Expect("VALUES");
                var tuples = new List<List<JsonNode?>>();
                do
                {
                    p.Expect("(");
                    var values = new List<JsonNode?>();
                    do { values.Add(p.Literal()); } while (p.Accept(","));
                    p.Expect(")");
                    if (values.Count != columns.Count)
                    {
                        throw new SqlError("Inserted row has wrong column count");
                    }
                    tuples.Add(values);
                } while (p.Accept(","));
                if (!_tables.TryGetValue(Normalize(name), out var table))
                {
                    // Like a table created beforehand with these columns (types from the first row).
                    table = new Table();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        table.Schema.Add((columns[i], TypeOf(tuples[0][i])));
                    }
                    _tables[Normalize(name)] = table;
                }
                foreach (var values in tuples)
                {
                    var row = new JsonObject();
                    for (var i = 0; i < columns.Count; i++)
                    {
                        row[columns[i]] = values[i]?.DeepClone();
                    }
                    table.Rows.Add(row);
                }
                return Dml(tuples.Count);
            }
            case "UPDATE":
            {
                var table = TableOf(p.Ident());
                p.Expect("SET");
                var sets = new List<(string, JsonNode?)>();
                do
                {
                    var column = p.Ident();
                    p.Expect("=");
                    sets.Add((column, p.Literal()));
                } while (p.Accept(","));
                var where = Where(p);
                var count = 0;
                foreach (var row in table.Rows.Where(where))
                {
                    foreach (var (column, value) in sets)
                    {
                        row[column] = value?.DeepClone();
                    }
                    count++;
                }
                return Dml(count);
            }
            case "DELETE":
            {
                p.Accept("FROM");
                var table = TableOf(p.Ident());
                var where = Where(p);
                return Dml(table.Rows.RemoveAll(r => where(r)));
            }
            case "DROP":
            {
                p.Expect("TABLE");
                var name = Normalize(p.Ident());
                if (!_tables.Remove(name))
                {
                    throw new SqlError($"Not found: Table {name}");
                }
                return Dml(0);
            }
            default:
                throw new SqlError($"Syntax error: Unexpected keyword {keyword}");
        }
    }

    private static JsonObject Dml(int count) => new() { ["jobComplete"] = true, ["numDmlAffectedRows"] = count.ToString(CultureInfo.InvariantCulture), ["totalRows"] = "0" };

    private Table TableOf(string name) => _tables.TryGetValue(Normalize(name), out var t) ? t : throw new SqlError($"Not found: Table {name}");

    private static string Normalize(string name)
    {
        var parts = name.Split('.');
        return parts.Length > 2 ? $"{parts[^2]}.{parts[^1]}" : name;
    }

    private static Func<JsonObject, bool> Where(Parser p)
    {
        if (!p.Accept("WHERE"))
        {
            return _ => true;
        }
        var conditions = new List<Func<JsonObject, bool>>();
        do
        {
            var column = p.Ident();
            if (p.Accept("IS"))
            {
                var not = p.Accept("NOT");
                p.Expect("NULL");
                conditions.Add(r => (r[column] is null) != not);
                continue;
            }
            if (p.Accept("IN"))
            {
                p.Expect("(");
                var set = new List<JsonNode?>();
                do { set.Add(p.Literal()); } while (p.Accept(","));
                p.Expect(")");
                conditions.Add(r => set.Any(v => Compare(r[column], v) == 0));
                continue;
            }
            var op = p.Next();
            var value = p.Literal();
            conditions.Add(op switch
            {
                "=" => r => Compare(r[column], value) == 0,
                "!=" or "<>" => r => Compare(r[column], value) != 0,
                "<" => r => Compare(r[column], value) < 0,
                ">" => r => Compare(r[column], value) > 0,
                "<=" => r => Compare(r[column], value) <= 0,
                ">=" => r => Compare(r[column], value) >= 0,
                _ => throw new SqlError($"Syntax error: unsupported operator {op}"),
            });
        } while (p.Accept("AND"));
        return r => conditions.All(c => c(r));
    }

    private static int Compare(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null ? 0 : 1;
        }
        if (a.GetValueKind() == JsonValueKind.Number && b.GetValueKind() == JsonValueKind.Number)
        {
            return a.GetValue<double>().CompareTo(b.GetValue<double>());
        }
        return string.CompareOrdinal(Text(a), Text(b));
    }

    private static string Sortable(JsonNode? n) => n?.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>().ToString("000000000000.000000", CultureInfo.InvariantCulture) : Text(n);

    private static string Text(JsonNode? n) => n is null ? "" : n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : n.ToJsonString();

    private static string TypeOf(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.Number => value.ToJsonString().Contains('.', StringComparison.Ordinal) ? "FLOAT" : "INTEGER",
        JsonValueKind.True or JsonValueKind.False => "BOOLEAN",
        _ => "STRING",
    };

    /// <summary>A stored value in the f/v wire form: scalars as strings, records as {f: […]}.</summary>
    private static JsonNode? Wire(JsonNode? value, string type) => value switch
    {
        null => null,
        JsonObject o => new JsonObject { ["f"] = new JsonArray(o.Select(kv => (JsonNode)new JsonObject { ["v"] = Wire(kv.Value, "STRING") }).ToArray()) },
        _ => JsonValue.Create(Text(value)),
    };

    private static List<string> Lex(string sql)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '#' || (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-'))
            {
                while (i < sql.Length && sql[i] != '\n') i++;
                continue;
            }
            if (c is '"' or '\'' or '`')
            {
                var sb = new StringBuilder();
                sb.Append(c == '`' ? '`' : '\'');
                i++;
                while (true)
                {
                    if (i >= sql.Length) throw new SqlError("Syntax error: Unclosed string literal");
                    var d = sql[i];
                    if (d == '\\')
                    {
                        var e = sql[i + 1];
                        sb.Append(e switch { 'n' => '\n', 'r' => '\r', 't' => '\t', _ => e });
                        if (e == 'u')
                        {
                            sb.Length--;
                            sb.Append((char)int.Parse(sql.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                            i += 4;
                        }
                        i += 2;
                        continue;
                    }
                    if (d == c) { i++; break; }
                    sb.Append(d);
                    i++;
                }
                tokens.Add(sb.ToString());
                continue;
            }
            var m = TokenPattern().Match(sql, i);
            if (!m.Success || m.Index != i) throw new SqlError($"Syntax error: Illegal input character \"{c}\"");
            tokens.Add(m.Value);
            i += m.Length;
        }
        return tokens;
    }

    private sealed class Parser(List<string> tokens)
    {
        private int _i;

        public bool End => _i >= tokens.Count;

        public string Peek() => End ? "end of script" : tokens[_i];

        public string Next() => End ? throw new SqlError("Syntax error: Unexpected end of script") : tokens[_i++];

        public bool Accept(string word)
        {
            if (!End && tokens[_i].Equals(word, StringComparison.OrdinalIgnoreCase) && tokens[_i][0] != '\'')
            {
                _i++;
                return true;
            }
            return false;
        }

        public void Expect(string word)
        {
            if (!Accept(word)) throw new SqlError($"Syntax error: Expected {word} but got {Peek()}");
        }

        public string Ident()
        {
            var t = Next();
            if (t[0] == '`') return t[1..];
            if (!char.IsLetter(t[0]) && t[0] != '_') throw new SqlError($"Syntax error: Unexpected {t}");
            return t;
        }

        public JsonNode? Literal()
        {
            var t = Next();
            if (t[0] == '\'') return JsonValue.Create(t[1..]);
            if (t.Equals("NULL", StringComparison.OrdinalIgnoreCase)) return null;
            if (t.Equals("TRUE", StringComparison.OrdinalIgnoreCase)) return JsonValue.Create(true);
            if (t.Equals("FALSE", StringComparison.OrdinalIgnoreCase)) return JsonValue.Create(false);
            if (t == "-") return JsonNode.Parse("-" + Next());
            if (char.IsDigit(t[0])) return JsonNode.Parse(t);
            throw new SqlError($"Syntax error: Unexpected {t} where a value was expected");
        }
    }

    private sealed class SqlError(string message) : Exception(message);

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_-]*)*|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?|<=|>=|<>|!=|[(),;=*<>.-]")]
    private static partial Regex TokenPattern();

    [GeneratedRegex("^/bigquery/v2/projects/([^/]+)/queries$")]
    private static partial Regex QueriesPath();

    [GeneratedRegex("^/bigquery/v2/projects/([^/]+)/queries/([^/]+)$")]
    private static partial Regex QueryResultsPath();

    [GeneratedRegex("^/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables$")]
    private static partial Regex TablesPath();

    [GeneratedRegex("^/bigquery/v2/projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/insertAll$")]
    private static partial Regex InsertAllPath();
}
