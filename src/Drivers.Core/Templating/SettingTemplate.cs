using Drivers.Core.Contracts;
using Drivers.Core.Settings;

namespace Drivers.Core.Templating;

/// <summary>
/// A template given in a setting (<c>-fs-key '{{id}}.json'</c>). It remembers the setting, so a malformed
/// template is a configuration error and an input it cannot render from is a data error, both naming the flag
/// and env var. Sinks render keys, names, ids and attributes with <see cref="Render"/>: a field the input lacks
/// would otherwise render as nothing and every such input would land on one name (<c>.json</c>), each push
/// overwriting the last.
/// </summary>
public sealed class SettingTemplate
{
    private SettingTemplate(Template template, string origin)
    {
        Template = template;
        Origin = origin;
    }

    public Template Template { get; }

    public string Text => Template.Text;

    public bool HasExpressions => Template.HasExpressions;

    /// <summary>The flag and env var it came from: <c>-fs-key (PUSHX_FS_KEY)</c>.</summary>
    public string Origin { get; }

    /// <summary>The setting's template, or null when the setting is empty.</summary>
    public static SettingTemplate? Parse(SettingValues values, Setting setting) =>
        values.GetString(setting) is { Length: > 0 } text ? Parse(values, setting, text) : null;

    /// <summary>Parses <paramref name="text"/> (the setting's value, or one part of it such as an attribute value).</summary>
    public static SettingTemplate Parse(SettingValues values, Setting setting, string text)
    {
        try
        {
            return new SettingTemplate(Template.Parse(text), $"-{setting.Name} ({setting.PrimaryEnvName(values.EnvPrefix)})");
        }
        catch (TemplateException e)
        {
            throw values.Invalid(setting, e.Message);
        }
    }

    /// <summary>Renders every field strictly; a field missing (or null) in the input, or input that is not JSON, is a data error.</summary>
    public string Render(TemplateData data)
    {
        try
        {
            return Template.RenderStrict(data);
        }
        catch (TemplateException e)
        {
            throw DataError(e);
        }
    }

    /// <summary>
    /// For query parameters, which may bind NULL for a field one input lacks: only input that is not JSON at all,
    /// while the template reads fields from it, is a data error (every parameter would be NULL).
    /// </summary>
    public void RequireDocument(TemplateData data)
    {
        if (data.HasDocument)
        {
            return;
        }
        try
        {
            _ = Template.RenderStrict(data);
        }
        catch (TemplateFieldException e)
        {
            throw DataError(e);
        }
    }

    private DriverException DataError(TemplateException e) =>
        DriverException.DataError($"{Origin} '{Text}': {e.Message}", e);
}
