using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Settings;
using Drivers.Core.Templating;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>
/// Strict rendering, for keys, names and ids: a field the input lacks must never render as nothing (every such
/// input would land on one name, each push overwriting the last).
/// </summary>
public sealed class StrictTemplateTests
{
    private static readonly TemplateData Person = TemplateData.FromPayloadBytes(
        Encoding.UTF8.GetBytes("{\"id\":1,\"name\":\"Ada\",\"empty\":\"\",\"none\":null,\"address\":{\"city\":\"Paris\"},\"tags\":[\"a\"]}"));

    private static readonly Setting Key = new("fs-key", "test key");

    private static readonly SettingValues Values = SettingsBinder.Bind([Key], new Dictionary<Setting, string>(), new Dictionary<string, string>(), "PUSHX");

    [Theory]
    [InlineData("{{id}}.json", "1.json")]
    [InlineData("{{address.city}}/{{id}}", "Paris/1")]
    [InlineData("{{tags.0}}-{{tags.#}}", "a-1")]
    [InlineData("x{{empty}}y", "xy")]
    [InlineData("{{ name | string.downcase }}-{{ id + 1 }}", "ada-2")]
    [InlineData("{{ address.city | string.upcase }}", "PARIS")]
    [InlineData("static", "static")]
    public void Present_fields_render_as_before(string text, string expected)
    {
        var template = Template.Parse(text);
        Assert.Equal(expected, template.RenderStrict(Person));
        Assert.Equal(template.Render(Person), template.RenderStrict(Person));
    }

    [Theory]
    [InlineData("{{missing}}.json", "missing")]
    [InlineData("{{address.street}}", "address.street")]
    [InlineData("{{tags.5}}", "tags.5")]
    [InlineData("{{ missing | string.upcase }}", "missing")]
    [InlineData("{{ address.street | string.upcase }}", "street")]
    public void A_missing_field_is_an_error_naming_it(string text, string field)
    {
        var e = Assert.Throws<TemplateFieldException>(() => Template.Parse(text).RenderStrict(Person));
        Assert.Equal(field, e.Field);
        Assert.False(e.NoDocument);
        Assert.Contains($"no field '{field}'", e.Message);
    }

    [Fact]
    public void A_null_field_is_an_error() =>
        Assert.Contains("'none' is null", Assert.Throws<TemplateFieldException>(() => Template.Parse("{{none}}.json").RenderStrict(Person)).Message);

    [Theory]
    [InlineData("plain text")]
    [InlineData("{\"id\": broken")]
    [InlineData("42")]
    public void Input_that_is_not_json_is_an_error_when_a_field_is_read(string input)
    {
        var data = TemplateData.FromPayloadBytes(Encoding.UTF8.GetBytes(input));
        var e = Assert.Throws<TemplateFieldException>(() => Template.Parse("{{id}}.json").RenderStrict(data));
        Assert.True(e.NoDocument);
        Assert.Contains("not JSON", e.Message);
    }

    [Fact]
    public void Variables_still_render_without_a_document()
    {
        var data = TemplateData.FromPayloadBytes("not json"u8).With("pushx_payload", "not json").With("key", "a.txt");
        Assert.Equal("done/a.txt not json", Template.Parse("done/{{key}} {{pushx_payload}}").RenderStrict(data));
    }

    [Fact]
    public void The_lenient_render_is_unchanged() =>
        Assert.Equal(".json", Template.Parse("{{missing}}.json").Render(Person));

    [Fact]
    public void A_setting_template_names_the_flag_env_var_and_field_as_a_data_error()
    {
        var template = SettingTemplate.Parse(Values, Key, "{{id}}.json");
        var e = Assert.Throws<DriverException>(() => template.Render(TemplateData.FromPayloadBytes("{\"name\":\"x\"}"u8)));
        Assert.Equal(FailureKind.Data, e.Kind);
        Assert.Equal("-fs-key (PUSHX_FS_KEY) '{{id}}.json': the input has no field 'id'", e.Message);
        Assert.Equal(FailureKind.Data, Failure.Of(e).Kind);
        Assert.Equal(ExitCodes.DataError, FailurePolicy.ExitCode(Failure.Of(e).Kind));
    }

    [Fact]
    public void A_malformed_setting_template_is_a_configuration_error()
    {
        var e = Assert.Throws<DriverException>(() => SettingTemplate.Parse(Values, Key, "{{id"));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-fs-key", e.Message);
        Assert.Contains("PUSHX_FS_KEY", e.Message);
    }

    [Fact]
    public void Require_document_lets_a_missing_field_through_but_not_input_that_is_not_json()
    {
        var template = SettingTemplate.Parse(Values, Key, "{{id}}");
        template.RequireDocument(TemplateData.FromPayloadBytes("{\"other\":1}"u8)); // parameters bind NULL for it
        var e = Assert.Throws<DriverException>(() => template.RequireDocument(TemplateData.FromPayloadBytes("not json"u8)));
        Assert.Equal(FailureKind.Data, e.Kind);
        Assert.Contains("not JSON", e.Message);
        SettingTemplate.Parse(Values, Key, "{{pushx_payload}}").RequireDocument(TemplateData.FromPayloadBytes("raw"u8).With("pushx_payload", "raw"));
        SettingTemplate.Parse(Values, Key, "literal").RequireDocument(TemplateData.FromPayloadBytes("raw"u8));
    }
}
