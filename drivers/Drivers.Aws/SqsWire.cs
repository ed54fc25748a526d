using System.Text;
using System.Text.Unicode;

namespace Drivers.Aws;

/// <summary>
/// How bytes travel in an SQS body. SQS bodies are text limited to XML characters (no NUL, no invalid UTF-8),
/// so input that is not such text is sent base64-encoded with the message attribute
/// <c>procx-encoding=base64</c>; the aws-sqs source decodes it. Text goes as it is, as in the original.
/// </summary>
internal static class SqsWire
{
    public const string EncodingAttribute = "procx-encoding";

    public const string Base64 = "base64";

    /// <summary>SQS's own limit on a message, body and attributes together.</summary>
    public const int MaxMessageBytes = 256 * 1024;

    /// <summary>The body to send, and whether it had to be base64-encoded.</summary>
    public static (string Body, bool Encoded) Encode(byte[] bytes) =>
        IsSqsText(bytes) ? (Encoding.UTF8.GetString(bytes), false) : (Convert.ToBase64String(bytes), true);

    public static byte[] Decode(string body, bool encoded) =>
        encoded ? Convert.FromBase64String(body) : Encoding.UTF8.GetBytes(body);

    private static bool IsSqsText(byte[] bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            return false;
        }
        foreach (var rune in Encoding.UTF8.GetString(bytes).EnumerateRunes())
        {
            var v = rune.Value;
            var allowed = v is 0x9 or 0xA or 0xD || v is >= 0x20 and <= 0xD7FF || v is >= 0xE000 and <= 0xFFFD || v >= 0x10000;
            if (!allowed)
            {
                return false;
            }
        }
        return true;
    }
}
