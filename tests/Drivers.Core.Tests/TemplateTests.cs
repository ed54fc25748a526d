using System.Text;
using Drivers.Core.Templating;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>The originals' template forms, rendered against JSON and work-item variables.</summary>
public sealed class TemplateTests
{
    private static readonly TemplateData Person = TemplateData.FromPayloadBytes(
        Encoding.UTF8.GetBytes("{\"id\":1,\"name\":\"John\",\"ok\":true,\"address\":{\"street\":\"123 Main St\"},\"tags\":[\"a\",\"b\"]}"));

    [Theory]
    [InlineData("{{id}}", "1")]
    [InlineData("{{ name }}", "John")]
    [InlineData("{{address.street}}", "123 Main St")]
    [InlineData("{{tags.1}}", "b")]
    [InlineData("{{tags.#}}", "2")]
    [InlineData("{{ok}}", "true")]
    [InlineData("{{address}}", "{\"street\":\"123 Main St\"}")]
    [InlineData("{{missing}}", "")]
    [InlineData("VALUES ({{id}}, \"{{name}}\")", "VALUES (1, \"John\")")]
    [InlineData("{{ name | string.upcase }}", "JOHN")]
    public void Renders_paths_and_expressions(string template, string expected) =>
        Assert.Equal(expected, Template.Parse(template).Render(Person));

    [Fact]
    public void Array_roots_index_like_gjson()
    {
        var rows = TemplateData.FromPayloadBytes("[{\"id\":7},{\"id\":8}]"u8);
        Assert.Equal("7-8", Template.Parse("{{0.id}}-{{1.id}}").Render(rows));
    }

    [Fact]
    public void Variables_come_before_the_document()
    {
        var data = TemplateData.FromPayloadBytes("{\"key\":\"from-json\"}"u8).With("key", "a.json").With("pushx_payload", "raw");
        Assert.Equal("done_a.json raw", Template.Parse("done_{{key}} {{pushx_payload}}").Render(data));
    }

    [Fact]
    public void Each_render_sees_only_its_own_data()
    {
        var template = Template.Parse("UPDATE jobs SET done = true WHERE id = {{0.id}}");
        var first = template.Render(TemplateData.FromPayloadBytes("[{\"id\":1}]"u8));
        var second = template.Render(TemplateData.FromPayloadBytes("[{\"id\":2}]"u8));
        Assert.EndsWith("= 1", first);
        Assert.EndsWith("= 2", second);
        Assert.Equal("UPDATE jobs SET done = true WHERE id = {{0.id}}", template.Text);
    }

    [Fact]
    public void A_formatter_sees_each_value()
    {
        var rendered = Template.Parse("'{{name}}'").Render(TemplateData.FromJson(System.Text.Json.Nodes.JsonNode.Parse("{\"name\":\"O'Brien\"}")),
            v => Template.FormatDefault(v).Replace("'", "''", StringComparison.Ordinal));
        Assert.Equal("'O''Brien'", rendered);
    }

    [Fact]
    public void Unclosed_holes_are_errors() => Assert.Throws<TemplateException>(() => Template.Parse("{{id"));
}
