namespace Drivers.Core.Cli;

/// <summary>
/// Splits argv the way Go's flag package does, which the originals' users rely on: <c>-name value</c>,
/// <c>-name=value</c>, one or two dashes; a boolean never takes the next token (<c>-daemon true</c> runs
/// <c>true</c>); the first token that is not a flag, or <c>--</c>, ends the options and the rest is the
/// child command, verbatim.
/// </summary>
internal static class GoStyleTokenizer
{
    public sealed record Token(string Name, string? Value);

    public sealed record Result(List<Token> Flags, List<string> Command);

    /// <param name="isBool">Tells whether a known flag name is a boolean; null for unknown names.</param>
    public static Result Split(IReadOnlyList<string> args, Func<string, bool?> isBool)
    {
        var flags = new List<Token>();
        var i = 0;
        while (i < args.Count)
        {
            var token = args[i];
            if (token == "--")
            {
                i++;
                break;
            }
            if (token.Length < 2 || token[0] != '-')
            {
                break;
            }
            var body = token.StartsWith("--", StringComparison.Ordinal) ? token[2..] : token[1..];
            if (body.Length == 0 || body[0] == '-' || body[0] == '=')
            {
                throw CliException.Usage($"bad flag syntax: {token}");
            }
            string name = body;
            string? value = null;
            var equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                name = body[..equals];
                value = body[(equals + 1)..];
            }
            i++;
            var boolean = isBool(name);
            if (boolean == false && value is null)
            {
                if (i >= args.Count)
                {
                    throw CliException.Usage($"flag needs an argument: -{name}");
                }
                value = args[i++];
            }
            flags.Add(new Token(name, value));
        }
        return new Result(flags, args.Skip(i).ToList());
    }
}
