namespace Drivers.Core.Cli;

/// <summary>
/// The options every tool has that are not settings (they answer a question and exit): declared once here
/// for the parser, <c>--help</c> and the completion scripts.
/// </summary>
public static class MetaOptions
{
    public sealed record MetaOption(string Name, IReadOnlyList<string> Aliases, string Help, IReadOnlyList<string>? Choices = null)
    {
        public IEnumerable<string> FlagNames => Aliases.Prepend(Name);

        public bool TakesValue => Choices is not null;
    }

    public static readonly MetaOption Help = new("help", ["h", "?"], "Show this help; with -driver NAME, that driver's options and examples too");

    /// <summary><c>-v</c> as in the originals, where <c>procx -v</c> printed the version.</summary>
    public static readonly MetaOption Version = new("version", ["v"], "Print the version, commit and build date");

    public static readonly MetaOption ListDrivers = new("list-drivers", [], "List the drivers, with what each can do");

    public static readonly MetaOption Completion = new("completion", [], "Print a shell completion script: bash, zsh or fish (see docs/cli.md)", CompletionScript.Shells);

    public static IReadOnlyList<MetaOption> All { get; } = [Help, Version, ListDrivers, Completion];

    public static MetaOption? Find(string flagName) => All.FirstOrDefault(o => o.FlagNames.Contains(flagName));
}
