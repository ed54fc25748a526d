using Drivers.Core.Cli;
using Drivers.Core.Docs;
using Drivers.Core.Settings;
using Xunit;

namespace Drivers.Docs.Tests;

/// <summary>
/// docs/drivers.md is generated from the setting declarations and checked in; this fails when it is stale.
/// Regenerate with: UPDATE_DOCS=1 dotnet test tests/Drivers.Docs.Tests
/// </summary>
public sealed class GeneratedDocsTests
{
    private static readonly ToolDefinition Procx = global::Procx.ProcxTool.Definition;
    private static readonly ToolDefinition Pushx = global::Pushx.PushxTool.Definition;

    [Fact]
    public void Drivers_md_matches_the_declarations()
    {
        var path = Path.Combine(RepoRoot(), "docs", "drivers.md");
        var expected = DriverDocs.Render(Procx, Pushx);
        if (Environment.GetEnvironmentVariable("UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, expected);
        }
        Assert.True(File.Exists(path), "docs/drivers.md is missing: UPDATE_DOCS=1 dotnet test tests/Drivers.Docs.Tests");
        Assert.True(expected == File.ReadAllText(path), "docs/drivers.md is stale: regenerate with UPDATE_DOCS=1 dotnet test tests/Drivers.Docs.Tests");
    }

    [Fact]
    public void Every_flag_name_means_one_thing_per_tool()
    {
        foreach (var tool in new[] { Procx, Pushx })
        {
            var byName = new Dictionary<string, Setting>();
            foreach (var setting in tool.CoreSettings.Concat(tool.Drivers.SelectMany(d => d.Settings)))
            {
                foreach (var name in setting.FlagNames)
                {
                    if (byName.TryGetValue(name, out var other) && other != setting)
                    {
                        Assert.True(other.Type == setting.Type && other.Secret == setting.Secret,
                            $"{tool.Name}: -{name} is declared twice with different type or secrecy");
                    }
                    byName[name] = setting;
                }
            }
        }
    }

    [Fact]
    public void Secrets_have_no_printed_default()
    {
        var secrets = Procx.Drivers.Concat(Pushx.Drivers).SelectMany(d => d.Settings).Where(s => s.Secret);
        Assert.All(secrets, s => Assert.True(string.IsNullOrEmpty(s.Default) || !DriverDocs.Render(Procx, Pushx).Contains(s.Default, StringComparison.Ordinal)));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Procx.sln")))
        {
            dir = dir.Parent;
        }
        return dir!.FullName;
    }
}
