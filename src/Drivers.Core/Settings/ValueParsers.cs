using System.Globalization;

namespace Drivers.Core.Settings;

/// <summary>Parsers for setting values, lenient where the originals were strict in surprising ways.</summary>
public static class ValueParsers
{
    /// <summary><c>true/false/1/0/yes/no/on/off</c> in any case; null when not a boolean.</summary>
    public static bool? ParseBool(string value) => value.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" or "t" => true,
        "false" or "0" or "no" or "off" or "f" or "" => false,
        _ => null,
    };

    /// <summary>
    /// Go-style durations (<c>1h2m3s</c>, <c>250ms</c>, <c>1.5s</c>); a bare number is seconds. A duration too
    /// long for a <see cref="TimeSpan"/> is <see cref="TimeSpan.MaxValue"/>, so a range check reports it.
    /// </summary>
    public static TimeSpan? ParseDuration(string value)
    {
        try
        {
            return ParseDurationUnchecked(value.Trim());
        }
        catch (OverflowException)
        {
            return TimeSpan.MaxValue;
        }
    }

    private static TimeSpan? ParseDurationUnchecked(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }
            if (start == i || !double.TryParse(text.AsSpan(start, i - start), NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return null;
            }
            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }
            TimeSpan? unit = text[unitStart..i] switch
            {
                "ns" => TimeSpan.FromTicks(1) / 100,
                "us" or "µs" => TimeSpan.FromMicroseconds(1),
                "ms" => TimeSpan.FromMilliseconds(1),
                "s" => TimeSpan.FromSeconds(1),
                "m" => TimeSpan.FromMinutes(1),
                "h" => TimeSpan.FromHours(1),
                _ => null,
            };
            if (unit is null)
            {
                return null;
            }
            total = checked(total + unit.Value * number);
        }
        return total;
    }

    /// <summary>Null when <paramref name="value"/> fits the setting's type, choices and range, else what is wrong with it.</summary>
    public static string? Check(Setting setting, string value)
    {
        switch (setting.Type)
        {
            case SettingType.Bool when ParseBool(value) is null:
                return $"'{value}' is not a boolean (use true or false)";
            case SettingType.Int when !int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                return $"'{value}' is not a whole number";
            case SettingType.Duration when ParseDuration(value) is null:
                return $"'{value}' is not a duration (e.g. 30s, 5m, 1h)";
        }
        if (setting.Choices is not null && value.Length > 0 && Canonical(setting, value) is null)
        {
            return $"'{value}' is not one of: {string.Join(", ", setting.Choices)}";
        }
        return CheckRange(setting, value);
    }

    /// <summary>
    /// The choice <paramref name="value"/> means, spelled as declared: choices and their aliases match in any
    /// case (the originals read <c>LOG_LEVEL=DEBUG</c>); null when it is none of them.
    /// </summary>
    public static string? Canonical(Setting setting, string value)
    {
        if (setting.Choices is not { } choices)
        {
            return value;
        }
        foreach (var choice in choices)
        {
            if (string.Equals(choice, value, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }
        foreach (var (alias, choice) in setting.ChoiceAliases ?? new Dictionary<string, string>())
        {
            if (string.Equals(alias, value, StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }
        return null;
    }

    /// <summary>The range a setting declares, for messages, <c>--help</c> and docs: <c>1 to 1024</c>, <c>at least 0</c>; null without one.</summary>
    public static string? RangeText(Setting setting) => (setting.Min, setting.Max) switch
    {
        ({ } min, { } max) => $"{min} to {max}",
        ({ } min, null) => $"at least {min}",
        (null, { } max) => $"at most {max}",
        _ => null,
    };

    private static string? CheckRange(Setting setting, string value)
    {
        if (RangeText(setting) is not { } range)
        {
            return null;
        }
        var inRange = setting.Type switch
        {
            SettingType.Int => Within(int.Parse(value, NumberStyles.Integer, CultureInfo.InvariantCulture), setting, ParseBound<int>),
            SettingType.Duration => Within(ParseDuration(value)!.Value, setting, ParseBound<TimeSpan>),
            _ => throw new InvalidOperationException($"-{setting.Name}: Min/Max apply to int and duration settings only"),
        };
        return inRange ? null : $"'{value}' is out of range ({range})";
    }

    private static bool Within<T>(T value, Setting setting, Func<Setting, string, T> bound) where T : IComparable<T> =>
        (setting.Min is not { } min || value.CompareTo(bound(setting, min)) >= 0)
        && (setting.Max is not { } max || value.CompareTo(bound(setting, max)) <= 0);

    /// <summary>A declared bound, parsed as the setting's type; a malformed declaration is a bug in procx.</summary>
    private static T ParseBound<T>(Setting setting, string text)
    {
        object? bound = setting.Type switch
        {
            SettingType.Int when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
            SettingType.Duration => ParseDuration(text),
            _ => null,
        };
        return bound is T typed ? typed : throw new InvalidOperationException($"-{setting.Name}: the declared bound '{text}' is not a {setting.Type}");
    }
}
