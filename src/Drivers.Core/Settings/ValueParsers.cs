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

    /// <summary>Go-style durations (<c>1h2m3s</c>, <c>250ms</c>, <c>1.5s</c>); a bare number is seconds.</summary>
    public static TimeSpan? ParseDuration(string value)
    {
        var text = value.Trim();
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
            total += unit.Value * number;
        }
        return total;
    }

    /// <summary>Null when <paramref name="value"/> fits the setting's type, else what is wrong with it.</summary>
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
        if (setting.Choices is { } choices && value.Length > 0 && !choices.Contains(value, StringComparer.Ordinal))
        {
            return $"'{value}' is not one of: {string.Join(", ", choices)}";
        }
        return null;
    }
}
