using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drivers.Aws.Tests;

/// <summary>
/// A DynamoDB endpoint for exactly what aws-dynamo calls: ExecuteStatement (PartiQL SELECT, UPDATE, DELETE,
/// INSERT over one table with a string or number hash key) and PutItem, on the wire protocol AWSSDK.DynamoDBv2
/// speaks (JSON 1.0, X-Amz-Target DynamoDB_20120810.*), over in-memory tables. DynamoDB's rules that matter
/// to the driver are kept: UPDATE/DELETE must name the full key, UPDATE of a missing item fails its condition,
/// INSERT of an existing key is a DuplicateItemException, Limit caps the items evaluated and pages go on
/// through NextToken. Used only where neither DynamoDB Local nor LocalStack can run (no Docker).
/// </summary>
internal sealed class FakeDynamoDb : IAsyncDisposable
{
    private const string ErrorPrefix = "com.amazonaws.dynamodb.v20120810#";

    private readonly WebApplication _app;
    private readonly Dictionary<string, Table> _tables = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private FakeDynamoDb(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    public static async Task<FakeDynamoDb> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeDynamoDb(app);
        app.MapPost("/", fake.HandleAsync);
        await app.StartAsync();
        fake.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return fake;
    }

    public void CreateTable(string name, string hashKey)
    {
        lock (_gate)
        {
            _tables[name] = new Table(hashKey);
        }
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var target = context.Request.Headers["X-Amz-Target"].ToString();
        var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())!.AsObject();
        JsonObject response;
        try
        {
            lock (_gate)
            {
                response = target switch
                {
                    "DynamoDB_20120810.ExecuteStatement" => ExecuteStatement(body),
                    "DynamoDB_20120810.PutItem" => PutItem(body),
                    _ => throw new DynamoError("UnknownOperationException", $"the fake does not implement {target}"),
                };
            }
        }
        catch (DynamoError e)
        {
            context.Response.StatusCode = 400;
            response = new JsonObject { ["__type"] = ErrorPrefix + e.Type, ["message"] = e.Message };
        }
        context.Response.ContentType = "application/x-amz-json-1.0";
        await context.Response.WriteAsync(response.ToJsonString());
    }

    private JsonObject PutItem(JsonObject body)
    {
        var table = FindTable((string)body["TableName"]!);
        var item = body["Item"]!.AsObject();
        table.Put(item);
        return [];
    }

    private JsonObject ExecuteStatement(JsonObject body)
    {
        var text = (string)body["Statement"]!;
        if (text.Length > 8192)
        {
            throw new DynamoError("ValidationException", "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192");
        }
        var statement = new Parser(text);
        var verb = statement.Keyword();
        switch (verb)
        {
            case "SELECT":
            {
                statement.Expect("*");
                statement.ExpectKeyword("FROM");
                var table = FindTable(statement.Identifier());
                var conditions = statement.Where();
                statement.End();
                var limit = body["Limit"] is { } l ? (int)l : int.MaxValue;
                var start = body["NextToken"] is { } t ? int.Parse((string)t!, CultureInfo.InvariantCulture) : 0;
                var rows = table.Rows;
                var end = (int)Math.Min((long)start + limit, rows.Count);
                var items = new JsonArray([.. rows.Skip(start).Take(end - start).Where(r => Matches(r, conditions)).Select(r => (JsonNode?)r.DeepClone())]);
                var result = new JsonObject { ["Items"] = items };
                if (end < rows.Count)
                {
                    result["NextToken"] = end.ToString(CultureInfo.InvariantCulture);
                }
                return result;
            }
            case "UPDATE":
            {
                var table = FindTable(statement.Identifier());
                statement.ExpectKeyword("SET");
                var sets = new List<(string, JsonObject)>();
                do
                {
                    var name = statement.Identifier();
                    statement.Expect("=");
                    sets.Add((name, statement.Value()));
                }
                while (statement.TryTake(","));
                var conditions = statement.Where();
                statement.End();
                var row = table.FindByKey(conditions) ?? throw new DynamoError("ConditionalCheckFailedException", "The conditional request failed");
                if (!Matches(row, conditions))
                {
                    throw new DynamoError("ConditionalCheckFailedException", "The conditional request failed");
                }
                foreach (var (name, value) in sets)
                {
                    if (name == table.HashKey)
                    {
                        throw new DynamoError("ValidationException", "Cannot update attribute " + name + ". This attribute is part of the key");
                    }
                    row[name] = value;
                }
                return [];
            }
            case "DELETE":
            {
                statement.ExpectKeyword("FROM");
                var table = FindTable(statement.Identifier());
                var conditions = statement.Where();
                statement.End();
                var row = table.FindByKey(conditions);
                if (row is not null)
                {
                    if (!Matches(row, conditions))
                    {
                        throw new DynamoError("ConditionalCheckFailedException", "The conditional request failed");
                    }
                    table.Remove(row);
                }
                return [];
            }
            case "INSERT":
            {
                statement.ExpectKeyword("INTO");
                var table = FindTable(statement.Identifier());
                statement.ExpectKeyword("VALUE");
                var item = statement.Value()["M"]!.AsObject();
                statement.End();
                if (table.Get(item) is not null)
                {
                    throw new DynamoError("DuplicateItemException", "Duplicate primary key exists in table");
                }
                table.Put(item);
                return [];
            }
            default:
                throw new DynamoError("ValidationException", $"Statement wasn't well formed, can't be processed: unexpected {verb}");
        }
    }

    private Table FindTable(string name) =>
        _tables.TryGetValue(name, out var table) ? table : throw new DynamoError("ResourceNotFoundException", "Requested resource not found");

    private static bool Matches(JsonObject row, List<(string Name, string Op, JsonObject Value)> conditions) =>
        conditions.All(c =>
        {
            var equal = row[c.Name] is { } v && JsonNode.DeepEquals(v, c.Value);
            return c.Op == "=" ? equal : !equal;
        });

    private sealed class Table(string hashKey)
    {
        private readonly List<JsonObject> _rows = [];

        public string HashKey { get; } = hashKey;

        public List<JsonObject> Rows => _rows;

        public JsonObject? Get(JsonObject item) =>
            item[HashKey] is { } key ? _rows.FirstOrDefault(r => JsonNode.DeepEquals(r[HashKey], key)) : throw MissingKey();

        public void Put(JsonObject item)
        {
            var existing = Get(item);
            var copy = item.DeepClone().AsObject();
            if (existing is null)
            {
                _rows.Add(copy);
            }
            else
            {
                _rows[_rows.IndexOf(existing)] = copy;
            }
        }

        public void Remove(JsonObject row) => _rows.Remove(row);

        /// <summary>UPDATE and DELETE must pin the whole key with an equality, as DynamoDB requires.</summary>
        public JsonObject? FindByKey(List<(string Name, string Op, JsonObject Value)> conditions)
        {
            var key = conditions.FirstOrDefault(c => c.Name == HashKey && c.Op == "=");
            if (key.Name is null)
            {
                throw new DynamoError("ValidationException", "Where clause does not contain a mandatory equality on all key attributes");
            }
            return _rows.FirstOrDefault(r => JsonNode.DeepEquals(r[HashKey], key.Value));
        }

        private DynamoError MissingKey() => new("ValidationException", $"One of the required keys was not given a value: {HashKey}");
    }

    private sealed class DynamoError(string type, string message) : Exception(message)
    {
        public string Type { get; } = type;
    }

    /// <summary>The PartiQL the driver's users write: keywords, "quoted" or bare names, 'strings', numbers, {maps}, [lists].</summary>
    private sealed class Parser
    {
        private readonly List<string> _tokens;
        private int _at;

        public Parser(string text) => _tokens = Tokenize(text);

        public string Keyword() => Next().ToUpperInvariant();

        public void ExpectKeyword(string keyword)
        {
            if (Keyword() != keyword)
            {
                throw Malformed($"expected {keyword}");
            }
        }

        public void Expect(string symbol)
        {
            if (Next() != symbol)
            {
                throw Malformed($"expected {symbol}");
            }
        }

        public bool TryTake(string symbol)
        {
            if (_at < _tokens.Count && _tokens[_at] == symbol)
            {
                _at++;
                return true;
            }
            return false;
        }

        public string Identifier()
        {
            var token = Next();
            return token.StartsWith('"') ? token[1..^1] : token;
        }

        public List<(string Name, string Op, JsonObject Value)> Where()
        {
            var conditions = new List<(string, string, JsonObject)>();
            if (_at >= _tokens.Count || !_tokens[_at].Equals("WHERE", StringComparison.OrdinalIgnoreCase))
            {
                return conditions;
            }
            _at++;
            do
            {
                var name = Identifier();
                var op = Next();
                if (op is not ("=" or "<>" or "!="))
                {
                    throw Malformed($"unsupported operator {op}");
                }
                conditions.Add((name, op == "=" ? "=" : "<>", Value()));
            }
            while (_at < _tokens.Count && _tokens[_at].Equals("AND", StringComparison.OrdinalIgnoreCase) && _at++ >= 0);
            return conditions;
        }

        public void End()
        {
            if (_at != _tokens.Count)
            {
                throw Malformed($"unexpected {_tokens[_at]}");
            }
        }

        /// <summary>A literal as a typed attribute value ({"S": …}, {"N": …}, …).</summary>
        public JsonObject Value()
        {
            var token = Next();
            if (token.StartsWith('\''))
            {
                return new JsonObject { ["S"] = token[1..^1].Replace("''", "'", StringComparison.Ordinal) };
            }
            if (token == "{")
            {
                var map = new JsonObject();
                if (!TryTake("}"))
                {
                    do
                    {
                        var key = Next();
                        key = key.StartsWith('\'') || key.StartsWith('"') ? key[1..^1] : key;
                        Expect(":");
                        map[key] = Value();
                    }
                    while (TryTake(","));
                    Expect("}");
                }
                return new JsonObject { ["M"] = map };
            }
            if (token == "[")
            {
                var list = new JsonArray();
                if (!TryTake("]"))
                {
                    do
                    {
                        list.Add(Value());
                    }
                    while (TryTake(","));
                    Expect("]");
                }
                return new JsonObject { ["L"] = list };
            }
            switch (token.ToUpperInvariant())
            {
                case "TRUE": return new JsonObject { ["BOOL"] = true };
                case "FALSE": return new JsonObject { ["BOOL"] = false };
                case "NULL": return new JsonObject { ["NULL"] = true };
            }
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return new JsonObject { ["N"] = token };
            }
            throw Malformed($"unexpected {token}");
        }

        private string Next() => _at < _tokens.Count ? _tokens[_at++] : throw Malformed("unexpected end of statement");

        private static DynamoError Malformed(string why) => new("ValidationException", $"Statement wasn't well formed, can't be processed: {why}");

        private static List<string> Tokenize(string text)
        {
            var tokens = new List<string>();
            var i = 0;
            while (i < text.Length)
            {
                var c = text[i];
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c is '\'' or '"')
                {
                    var sb = new StringBuilder().Append(c);
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            throw Malformed("unterminated quote");
                        }
                        if (text[i] == c && i + 1 < text.Length && text[i + 1] == c)
                        {
                            sb.Append(c).Append(c);
                            i += 2;
                            continue;
                        }
                        if (text[i] == c)
                        {
                            sb.Append(c);
                            i++;
                            break;
                        }
                        sb.Append(text[i++]);
                    }
                    tokens.Add(sb.ToString());
                }
                else if (c is '<' && i + 1 < text.Length && text[i + 1] == '>' || c is '!' && i + 1 < text.Length && text[i + 1] == '=')
                {
                    tokens.Add(text.Substring(i, 2));
                    i += 2;
                }
                else if ("=,{}[]:*".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(c.ToString());
                    i++;
                }
                else
                {
                    var start = i;
                    while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.' or '-' or '+'))
                    {
                        i++;
                    }
                    if (i == start)
                    {
                        throw Malformed($"unexpected character {c}");
                    }
                    tokens.Add(text[start..i]);
                }
            }
            return tokens;
        }
    }
}
