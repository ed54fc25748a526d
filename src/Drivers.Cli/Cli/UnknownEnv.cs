namespace Drivers.Core.Cli;

/// <summary>
/// Env vars under the tool's prefix that no setting reads. A typo such as <c>PROCX_FS_FOLDR</c> is otherwise
/// silently ignored, and the setting it meant takes its default. Only the tool's own prefix is checked: procx
/// passes <c>PUSHX_*</c> through to a pushx child, and strips <c>PROCX_*</c> from its child's environment.
/// </summary>
public static class UnknownEnv
{
    /// <summary>One warning per unknown name, with the nearest known name when one is close.</summary>
    public static IReadOnlyList<string> Warnings(ToolDefinition tool, IEnumerable<string> environmentNames)
    {
        var prefix = tool.EnvPrefix + "_";
        var candidates = environmentNames.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        if (candidates.Count == 0)
        {
            return []; // the usual start: every setting's env names (about 7% of a quick run's instructions) are not needed
        }
        var known = KnownNames(tool);
        var warnings = new List<string>();
        foreach (var name in candidates)
        {
            if (!known.Contains(name))
            {
                // Compared without the prefix every candidate shares, so "close" means close in the part that differs.
                var suffixes = known.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Select(k => k[prefix.Length..]);
                var guess = Suggest.Closest(name[prefix.Length..], suffixes) is { } g ? $"; did you mean {prefix}{g}?" : "";
                warnings.Add($"env {name} is not a setting of {tool.Name} (of any driver); ignored{guess}");
            }
        }
        return warnings;
    }

    private static HashSet<string> KnownNames(ToolDefinition tool)
    {
        var known = new HashSet<string>(tool.ReservedEnv, StringComparer.Ordinal);
        foreach (var setting in tool.CoreSettings.Append(tool.DriverSetting).Concat(tool.Drivers.SelectMany(d => d.Settings)))
        {
            known.UnionWith(setting.EnvNames(tool.EnvPrefix));
        }
        return known;
    }
}
