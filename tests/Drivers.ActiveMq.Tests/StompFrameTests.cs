using System.Text;
using Drivers.ActiveMq.Stomp;
using Xunit;

namespace Drivers.ActiveMq.Tests;

/// <summary>The STOMP layer on the specification's own examples and rules (no broker needed).</summary>
public sealed class StompFrameTests
{
    private static async Task<List<StompFrame>> ReadAllAsync(byte[] wire)
    {
        var reader = new StompFrameReader(new MemoryStream(wire));
        var frames = new List<StompFrame>();
        while (await reader.ReadAsync(TestContext.Current.CancellationToken) is { } frame)
        {
            frames.Add(frame);
        }
        return frames;
    }

    [Fact]
    public async Task Spec_example_frame_parses_with_its_headers_and_body()
    {
        // The specification's SEND example (frame body "hello queue a", then NUL).
        var frames = await ReadAllAsync("SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello queue a\0"u8.ToArray());
        var frame = Assert.Single(frames);
        Assert.Equal("SEND", frame.Command);
        Assert.Equal("/queue/a", frame["destination"]);
        Assert.Equal("text/plain", frame["content-type"]);
        Assert.Equal("hello queue a", Encoding.UTF8.GetString(frame.Body.Span));
    }

    [Fact]
    public async Task Content_length_body_may_hold_nul_bytes()
    {
        var body = new byte[] { 1, 0, 2, 0, 0, 0xff };
        var wire = new StompFrame("MESSAGE", [new("destination", "/queue/a"), new("message-id", "1"), new("subscription", "0")], body).Encode();
        var frame = Assert.Single(await ReadAllAsync(wire));
        Assert.Equal(body, frame.Body.ToArray());
        Assert.Equal("6", frame["content-length"]);
    }

    [Fact]
    public async Task Heart_beat_eols_between_frames_and_crlf_lines_are_accepted()
    {
        var wire = "\n\r\nRECEIPT\r\nreceipt-id:77\r\n\r\n\0\n\nRECEIPT\nreceipt-id:78\n\n\0\n"u8.ToArray();
        var frames = await ReadAllAsync(wire);
        Assert.Equal(["77", "78"], frames.Select(f => f["receipt-id"]));
    }

    [Fact]
    public async Task Repeated_header_first_value_wins()
    {
        // "If a client or a server receives repeated frame header entries, only the first header entry SHOULD be used as the value".
        var frame = Assert.Single(await ReadAllAsync("MESSAGE\nfoo:World\nfoo:Hello\n\n\0"u8.ToArray()));
        Assert.Equal("World", frame["foo"]);
    }

    [Fact]
    public async Task Header_escapes_round_trip_except_in_connect_frames()
    {
        var value = "a:b\\c\nd\re";
        var wire = new StompFrame("SEND", [new("x-key:1", value)]).Encode();
        Assert.Contains("x-key\\c1:a\\cb\\\\c\\nd\\re\n", Encoding.UTF8.GetString(wire), StringComparison.Ordinal);
        var frame = Assert.Single(await ReadAllAsync(wire));
        Assert.Equal(value, frame["x-key:1"]);

        // CONNECT/CONNECTED are never escaped: a backslash stays as it is.
        var connected = Assert.Single(await ReadAllAsync("CONNECTED\nversion:1.2\nserver:a\\b\n\n\0"u8.ToArray()));
        Assert.Equal("a\\b", connected["server"]);
    }

    [Fact]
    public async Task Undefined_escape_is_a_protocol_error()
    {
        await Assert.ThrowsAsync<StompProtocolException>(() => ReadAllAsync("MESSAGE\nfoo:a\\tb\n\n\0"u8.ToArray()));
    }

    [Fact]
    public async Task Body_not_followed_by_nul_is_a_protocol_error()
    {
        await Assert.ThrowsAsync<StompProtocolException>(() => ReadAllAsync("MESSAGE\ncontent-length:2\n\nabc\0"u8.ToArray()));
    }

    [Fact]
    public async Task Connection_closed_inside_a_frame_is_an_error_not_a_frame()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(() => ReadAllAsync("MESSAGE\ncontent-length:10\n\nabc"u8.ToArray()));
    }

    [Fact]
    public async Task Large_body_arrives_whole()
    {
        var body = new byte[3 * 1024 * 1024 + 17];
        new Random(5).NextBytes(body);
        var frame = Assert.Single(await ReadAllAsync(new StompFrame("MESSAGE", [new("subscription", "1")], body).Encode()));
        Assert.Equal(body, frame.Body.ToArray());
    }

    [Theory]
    [InlineData("10000,5000", 10000, 5000)]
    [InlineData("0,0", 0, 0)]
    [InlineData(null, 0, 0)]
    [InlineData("junk", 0, 0)]
    public void Heart_beat_header_parses(string? header, long sx, long sy) =>
        Assert.Equal((sx, sy), StompConnection.ParseHeartBeat(header));

    [Fact]
    public void Error_frame_message_and_body_line_make_one_line()
    {
        var error = new StompErrorException(new StompFrame("ERROR", [new("message", "Access refused")], "Login or passcode\nwas wrong"u8.ToArray()));
        Assert.Equal("Access refused: Login or passcode", error.Message);
    }

    [Theory]
    [InlineData("jobs", "queue", "/queue/jobs")]
    [InlineData("jobs", "topic", "/topic/jobs")]
    [InlineData("/queue/jobs", "topic", "/queue/jobs")]
    [InlineData("/amq/queue/q", "queue", "/amq/queue/q")]
    public void Destination_rule_is_one_for_both_tools(string name, string type, string destination) =>
        Assert.Equal(destination, ActiveMqConnectionFactory.ToDestination(name, type));

    [Theory]
    [InlineData("127.0.0.1:61613", "127.0.0.1", 61613)]
    [InlineData("tcp://broker:61613", "broker", 61613)]
    [InlineData("stomp+ssl://broker:61614/", "broker", 61614)]
    [InlineData("[::1]:61613", "::1", 61613)]
    public void Address_parses(string address, string host, int port) =>
        Assert.Equal((host, port), ActiveMqConnectionFactory.ParseAddress(address));

    [Theory]
    [InlineData("broker")]
    [InlineData("broker:x")]
    [InlineData("broker:70000")]
    public void Bad_address_is_refused(string address) => Assert.Null(ActiveMqConnectionFactory.ParseAddress(address));
}
