using System.Text;

namespace Drivers.ActiveMq.Stomp;

/// <summary>
/// One STOMP 1.2 frame: a command, ordered headers (the first of a repeated header wins, as the
/// specification says) and a body of raw bytes. <see cref="Encode"/> writes the wire form with a
/// <c>content-length</c> header whenever there is a body, so a body may hold NUL bytes and arrives byte-exact.
/// </summary>
internal sealed class StompFrame
{
    public StompFrame(string command, IEnumerable<KeyValuePair<string, string>>? headers = null, ReadOnlyMemory<byte> body = default)
    {
        Command = command;
        Headers = headers?.ToList() ?? [];
        Body = body;
    }

    public string Command { get; }

    public List<KeyValuePair<string, string>> Headers { get; }

    public ReadOnlyMemory<byte> Body { get; }

    /// <summary>The value of the first header named <paramref name="name"/>, or null.</summary>
    public string? this[string name]
    {
        get
        {
            foreach (var (key, value) in Headers)
            {
                if (key == name)
                {
                    return value;
                }
            }
            return null;
        }
    }

    public StompFrame With(string name, string? value)
    {
        if (value is not null)
        {
            Headers.Add(new(name, value));
        }
        return this;
    }

    /// <summary>
    /// CONNECT and CONNECTED frames are not escaped (the specification keeps them readable by 1.0 peers);
    /// every other frame escapes <c>\</c>, CR, LF and <c>:</c> in header names and values.
    /// </summary>
    public static bool IsEscaped(string command) => command is not ("CONNECT" or "CONNECTED" or "STOMP");

    /// <summary>The frame's command and headers on the wire, up to and including the blank line.</summary>
    public byte[] EncodeHead(long? bodyLength)
    {
        var sb = new StringBuilder(64 + Headers.Count * 32);
        sb.Append(Command).Append('\n');
        var escaped = IsEscaped(Command);
        foreach (var (key, value) in Headers)
        {
            if (key == "content-length")
            {
                continue; // written from the body below
            }
            sb.Append(escaped ? Escape(key) : key).Append(':').Append(escaped ? Escape(value) : value).Append('\n');
        }
        if (bodyLength is { } length)
        {
            sb.Append("content-length:").Append(length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        sb.Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The whole frame on the wire, NUL-terminated.</summary>
    public byte[] Encode()
    {
        var head = EncodeHead(Body.Length > 0 || Command == "SEND" ? Body.Length : null);
        var bytes = new byte[head.Length + Body.Length + 1];
        head.CopyTo(bytes, 0);
        Body.Span.CopyTo(bytes.AsSpan(head.Length));
        return bytes;
    }

    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny("\\\r\n:") < 0)
        {
            return text;
        }
        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\\' => "\\\\",
                '\r' => "\\r",
                '\n' => "\\n",
                ':' => "\\c",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>Undoes <see cref="Escape"/>; an undefined escape sequence is a protocol error (the specification says so).</summary>
    public static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }
        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                sb.Append(text[i]);
                continue;
            }
            if (++i >= text.Length)
            {
                throw new StompProtocolException("a header ends in a lone backslash");
            }
            sb.Append(text[i] switch
            {
                '\\' => '\\',
                'r' => '\r',
                'n' => '\n',
                'c' => ':',
                var other => throw new StompProtocolException($"undefined escape sequence \\{other} in a header"),
            });
        }
        return sb.ToString();
    }

    public override string ToString() => Command;
}

/// <summary>The peer broke the STOMP framing rules (a bad header, a missing NUL): the connection is unusable.</summary>
internal sealed class StompProtocolException : IOException
{
    public StompProtocolException(string message) : base(message) { }

    public StompProtocolException() : this("STOMP protocol error") { }

    public StompProtocolException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>The broker sent an ERROR frame: its <c>message</c> header and the start of its body, one line.</summary>
internal sealed class StompErrorException : Exception
{
    public StompErrorException(StompFrame error)
        : base(Describe(error)) => Frame = error;

    public StompErrorException() : base("STOMP ERROR") => Frame = new StompFrame("ERROR");

    public StompErrorException(string message) : base(message) => Frame = new StompFrame("ERROR");

    public StompErrorException(string message, Exception inner) : base(message, inner) => Frame = new StompFrame("ERROR");

    public StompFrame Frame { get; }

    /// <summary>The <c>message</c> header, plus the body's first line when it adds something (RabbitMQ puts the detail there).</summary>
    public string ServerMessage => Message;

    private static string Describe(StompFrame error)
    {
        var message = error["message"]?.Trim() ?? "";
        var body = Encoding.UTF8.GetString(error.Body.Span).Trim();
        var firstLine = body.Split('\n', 2)[0].Trim();
        if (firstLine.Length > 200)
        {
            firstLine = firstLine[..200] + "…";
        }
        var text = message.Length == 0 ? firstLine
            : firstLine.Length == 0 || message.Contains(firstLine, StringComparison.Ordinal) ? message
            : $"{message}: {firstLine}";
        return Core.Failures.ErrorText.OneLine(text.Length == 0 ? "ERROR frame without a message" : text);
    }
}
