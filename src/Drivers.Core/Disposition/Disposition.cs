using Drivers.Core.Settings;
using Drivers.Core.Templating;

namespace Drivers.Core.Disposition;

/// <summary>What happens to a keyed item (file, object) when it is cleared or failed.</summary>
public enum DispositionOp
{
    /// <summary>Leave it where it is (the originals' behaviour when no op is set).</summary>
    None,
    /// <summary>Move (rename/copy+delete) it to another folder/bucket and/or key.</summary>
    Move,
    /// <summary>Delete it.</summary>
    Remove,
}

/// <summary>
/// The <c>-X-clear-op</c> / <c>-X-clear-{folder|bucket}</c> / <c>-X-clear-key</c> / <c>-X-clear-key-template</c>
/// family (and its <c>fail</c> twin), shared by every keyed store (fs, aws-s3, gcp-gcs, smb, nfs).
/// </summary>
public sealed class DispositionSettings
{
    /// <param name="prefix">Driver prefix, e.g. <c>fs</c>, <c>aws-s3</c>.</param>
    /// <param name="phase"><c>clear</c> or <c>fail</c>.</param>
    /// <param name="container">What holds keys: <c>folder</c> or <c>bucket</c>.</param>
    public DispositionSettings(string prefix, string phase, string container)
    {
        Phase = phase;
        _container = container;
        Op = new Setting($"{prefix}-{phase}-op", $"What to do with the item on {phase}: mv (move) or rm (delete); unset leaves it in place")
        {
            Choices = ["mv", "rm"],
        };
        Container = new Setting($"{prefix}-{phase}-{container}", $"{Capitalize(container)} to move the item to on {phase} (default: the source {container})");
        Key = new Setting($"{prefix}-{phase}-key", $"Key to move the item to on {phase} (default: its own key)");
        KeyTemplate = new Setting($"{prefix}-{phase}-key-template", $"Template for the key to move the item to on {phase}, e.g. {phase}ed/{{{{key}}}}");
    }

    private readonly string _container;

    public string Phase { get; }

    public Setting Op { get; }

    public Setting Container { get; }

    public Setting Key { get; }

    public Setting KeyTemplate { get; }

    public IEnumerable<Setting> All => [Op, Container, Key, KeyTemplate];

    /// <summary>Reads and checks the settings once, at start-up.</summary>
    public DispositionPlan Bind(SettingValues values, string sourceContainer)
    {
        var op = values.GetString(Op) switch
        {
            "mv" => DispositionOp.Move,
            "rm" => DispositionOp.Remove,
            _ => DispositionOp.None,
        };
        var container = values.GetString(Container) is { Length: > 0 } c ? c : sourceContainer;
        var key = values.GetString(Key);
        Template? template = null;
        if (values.GetString(KeyTemplate) is { Length: > 0 } text)
        {
            try
            {
                template = Template.Parse(text);
                // Every item of a keyed store renders from the same two names, so a field it lacks (a typo such
                // as {{kye}}) would fail for every item alike: refuse it now, before any child runs, rather
                // than move every item onto one empty name.
                template.RenderStrict(TemplateData.Empty.With("key", "key").With(_container, sourceContainer));
            }
            catch (TemplateException e)
            {
                throw values.Invalid(KeyTemplate, $"{e.Message} (a {Phase} key template renders from {{{{key}}}} and {{{{{_container}}}}})");
            }
        }
        if (op == DispositionOp.Move && container == sourceContainer && string.IsNullOrEmpty(key) && template is null)
        {
            throw values.Invalid(Op, $"{Phase} op mv needs a destination: set -{Container.Name}, -{Key.Name} or -{KeyTemplate.Name}");
        }
        return new DispositionPlan(op, container, string.IsNullOrEmpty(key) ? null : key, template);
    }

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];
}

/// <summary>A bound disposition; <see cref="TargetKey"/> renders per item, from that item alone.</summary>
public sealed record DispositionPlan(DispositionOp Op, string Container, string? FixedKey, Template? KeyTemplate)
{
    public string TargetKey(string itemKey, TemplateData data) =>
        FixedKey ?? KeyTemplate?.RenderStrict(data) ?? itemKey;
}
