using Drivers.Core.Contracts;
using Drivers.Core.Disposition;
using Drivers.Core.Settings;
using Drivers.Core.Templating;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>Clear/fail key templates of keyed stores render strictly: a field no item has is refused at start-up.</summary>
public sealed class DispositionTemplateTests
{
    private static readonly DispositionSettings Clear = new("fs", "clear", "folder");

    private static DispositionPlan Bind(string template) =>
        Clear.Bind(SettingsBinder.Bind(Clear.All, new Dictionary<Setting, string> { [Clear.Op] = "mv", [Clear.KeyTemplate] = template },
            new Dictionary<string, string>(), "PROCX"), "/work");

    [Fact]
    public void A_template_of_the_items_own_names_renders_per_item() =>
        Assert.Equal("done/a.json", Bind("done/{{key}}").TargetKey("a.json", TemplateData.Empty.With("key", "a.json").With("folder", "/work")));

    [Fact]
    public void A_field_no_item_has_is_a_configuration_error_naming_the_setting()
    {
        var e = Assert.Throws<DriverException>(() => Bind("done/{{kye}}"));
        Assert.Equal(FailureKind.Configuration, e.Kind);
        Assert.Contains("-fs-clear-key-template", e.Message, StringComparison.Ordinal);
        Assert.Contains("{{key}}", e.Message, StringComparison.Ordinal);
    }
}
