using System.Text;

namespace Drivers.Etcd;

/// <summary>Key arithmetic of etcd's range API: a prefix as [key, range_end), keys as bytes.</summary>
internal static class EtcdKeys
{
    /// <summary>The <c>range_end</c> that makes a range cover every key starting with <paramref name="prefix"/>.</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }
        return [0]; // every byte 0xff (or no prefix): to the end of the key space
    }

    public static bool StartsWith(byte[] key, byte[] prefix) => key.AsSpan().StartsWith(prefix);

    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);

    /// <summary>A key as text for templates and logs (etcd keys are bytes; these are nearly always UTF-8).</summary>
    public static string Text(byte[] key) => Encoding.UTF8.GetString(key);

    /// <summary>True when <paramref name="key"/> is inside [start, end) (end empty: exactly start).</summary>
    public static bool InRange(byte[] key, byte[] start, byte[]? end)
    {
        if (end is null || end.Length == 0)
        {
            return key.AsSpan().SequenceEqual(start);
        }
        if (key.AsSpan().SequenceCompareTo(start) < 0)
        {
            return false;
        }
        return end is [0] || key.AsSpan().SequenceCompareTo(end) < 0;
    }
}
