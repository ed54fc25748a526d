using System.Buffers.Binary;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Drivers.Core.Net;
using MQTTnet;
using MQTTnet.Formatter;

namespace Drivers.Mqtt;

/// <summary>
/// pushx's MQTT connection (3.1.1 or 5): CONNECT, then PUBLISH and its acknowledgement, one message at a time,
/// on one socket (TLS when asked), synchronously with the socket's own timeouts. The client library the source
/// uses started ten threads for a one-shot push; this starts none. A connection the broker closed since the
/// last push (its keep-alive, a restart) is replaced before the next push.
/// </summary>
internal sealed class MqttPublisher(MqttConnectionFactory factory, string clientId) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private Socket? _socket;
    private Stream? _stream;
    private ushort _packetId;

    private bool V5 => factory.Version == MqttProtocolVersion.V500;

    /// <summary>Publishes and waits for the acknowledgement its QoS asks for; returns the broker's reason code (0: success).</summary>
    public (int Reason, string? ReasonString) Publish(string topic, byte[] payload, int qos, bool retain)
    {
        lock (_gate)
        {
            if (_socket is { } idle && idle.Poll(0, SelectMode.SelectRead) && idle.Available == 0)
            {
                Drop(); // the broker closed it since the last push: nothing was sent on it
            }
            var opened = _stream is not null;
            try
            {
                if (!opened)
                {
                    Connect();
                    opened = true;
                }
                return PublishOnce(topic, payload, qos, retain);
            }
            catch (Exception e) when (e is not DriverException)
            {
                Drop();
                throw e switch
                {
                    _ when !opened => factory.ConnectFailed(e),
                    _ when ErrorText.NetworkReason(e) == "timed out" => DriverException.Transient($"the MQTT broker at {factory.Endpoint} did not answer in time", e),
                    EndOfStreamException or InvalidDataException => DriverException.Transient($"the connection to the MQTT broker at {factory.Endpoint} was lost", e),
                    _ => factory.Translate(e) ?? DriverException.Transient($"the MQTT broker at {factory.Endpoint}: {ErrorText.Describe(e)}", e),
                };
            }
            catch
            {
                Drop();
                throw;
            }
        }
    }

    /// <summary>DISCONNECT (normal), then the socket is closed.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            try
            {
                _stream?.Write([0xE0, 0x00]);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // gone already
            }
            Drop();
        }
    }

    private void Connect()
    {
        var socket = TcpDial.Connect(factory.Host, factory.Port, Timeout);
        try
        {
            socket.ReceiveTimeout = socket.SendTimeout = (int)Timeout.TotalMilliseconds;
            Stream stream = new NetworkStream(socket, ownsSocket: false);
            (_socket, _stream) = (socket, stream);
            if (factory.TlsOptions() is { } tls)
            {
                var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                _stream = secure;
                secure.AuthenticateAsClient(tls);
            }
        }
        catch
        {
            Drop();
            throw;
        }
        try
        {
            Handshake();
        }
        catch (Exception e) when (e is IOException or InvalidDataException && ErrorText.NetworkReason(e) != "timed out")
        {
            // Connected, but CONNECT was cut off or answered in another protocol: most often TLS on one side only.
            Drop();
            throw factory.HandshakeFailed(e);
        }
    }

    /// <summary>CONNECT with a clean session; CONNACK's refusal is named by the factory.</summary>
    private void Handshake()
    {
        var body = new MemoryStream();
        PutString(body, "MQTT");
        body.WriteByte(V5 ? (byte)5 : (byte)4);
        var (user, password) = factory.Credentials;
        body.WriteByte((byte)(0x02 | (user is not null ? 0x80 : 0) | (password is not null ? 0x40 : 0)));
        PutUInt16(body, (ushort)Math.Clamp(factory.KeepAlive.TotalSeconds, 0, ushort.MaxValue));
        if (V5)
        {
            body.WriteByte(0); // no properties
        }
        PutString(body, clientId);
        if (user is not null)
        {
            PutString(body, user);
        }
        if (password is not null)
        {
            PutString(body, password);
        }
        Send(0x10, body.ToArray());
        var (type, ack) = ReadPacket();
        if (type != 0x20 || ack.Length < 2)
        {
            throw new InvalidDataException("the broker did not answer CONNECT with CONNACK");
        }
        var code = ack[1];
        if (code != 0)
        {
            // 3.1.1's return codes 1-5 are MQTT 5's 0x84, 0x85, 0x88, 0x86, 0x87 (MQTTnet's result codes).
            var reason = V5 ? code : code switch { 1 => 0x84, 2 => 0x85, 3 => 0x88, 4 => 0x86, 5 => 0x87, _ => 0x80 };
            throw factory.Refused((MQTTnet.MqttClientConnectResultCode)reason, V5 ? ReasonString(ack, 2) : null);
        }
    }

    private (int Reason, string? ReasonString) PublishOnce(string topic, byte[] payload, int qos, bool retain)
    {
        var id = qos > 0 ? NextPacketId() : (ushort)0;
        var header = new MemoryStream();
        PutString(header, topic);
        if (qos > 0)
        {
            PutUInt16(header, id);
        }
        if (V5)
        {
            header.WriteByte(0); // no properties
        }
        Send((byte)(0x30 | (qos << 1) | (retain ? 1 : 0)), header.ToArray(), payload);
        if (qos == 0)
        {
            return (0, null);
        }
        var (expected, reply) = qos == 1 ? ((byte)0x40, Await(0x40, id)) : ((byte)0x50, Await(0x50, id));
        var (reason, text) = Acknowledgement(reply);
        if (expected == 0x50 && reason < 0x80)
        {
            Send(0x62, [(byte)(id >> 8), (byte)id]); // PUBREL
            (reason, text) = Acknowledgement(Await(0x70, id));
        }
        return (reason, text);
    }

    /// <summary>The acknowledgement of type <paramref name="type"/> for packet <paramref name="id"/>; a DISCONNECT from the broker fails the push.</summary>
    private byte[] Await(byte type, ushort id)
    {
        while (true)
        {
            var (received, body) = ReadPacket();
            if (received == 0xE0)
            {
                var reason = body.Length > 0 ? body[0] : 0;
                throw DriverException.Transient($"the MQTT broker at {factory.Endpoint} closed the connection (reason 0x{reason:x2}{(ReasonString(body, 1) is { } s ? ": " + ErrorText.OneLine(s) : "")})");
            }
            if ((received & 0xF0) == type && body.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(body) == id)
            {
                return body;
            }
        }
    }

    /// <summary>An acknowledgement's reason code (absent: success) and reason string (MQTT 5).</summary>
    private (int Reason, string? Text) Acknowledgement(byte[] body) =>
        body.Length > 2 ? (body[2], V5 ? ReasonString(body, 3) : null) : (0, null);

    /// <summary>The reason string (property 0x1F) among the MQTT 5 properties at <paramref name="at"/>, if any.</summary>
    private string? ReasonString(byte[] body, int at)
    {
        if (!V5 || at >= body.Length)
        {
            return null;
        }
        var start = at;
        var length = (int)VarInt(body, ref start);
        var end = Math.Min(body.Length, start + length);
        for (var i = start; i < end;)
        {
            var id = body[i++];
            switch (id)
            {
                case 0x1F:
                    var n = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(i));
                    return Encoding.UTF8.GetString(body, i + 2, n);
                case 0x26: // user property: two strings
                    i += 2 + BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(i));
                    i += 2 + BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(i));
                    break;
                case 0x03 or 0x08 or 0x12 or 0x15 or 0x1A or 0x1C or 0x09 or 0x16: // strings and binary data
                    i += 2 + BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(i));
                    break;
                case 0x13 or 0x21 or 0x22 or 0x23:
                    i += 2;
                    break;
                case 0x02 or 0x11 or 0x18 or 0x27:
                    i += 4;
                    break;
                case 0x0B:
                    VarInt(body, ref i);
                    break;
                default:
                    i += 1; // the byte-valued properties
                    break;
            }
        }
        return null;
    }

    private ushort NextPacketId() => _packetId = (ushort)(_packetId % ushort.MaxValue + 1);

    private void Send(byte type, byte[] body, byte[]? payload = null)
    {
        var remaining = body.Length + (payload?.Length ?? 0);
        var header = new MemoryStream(6);
        header.WriteByte(type);
        do
        {
            var digit = (byte)(remaining % 128);
            remaining /= 128;
            header.WriteByte(remaining > 0 ? (byte)(digit | 0x80) : digit);
        }
        while (remaining > 0);
        header.Write(body);
        _stream!.Write(header.GetBuffer(), 0, (int)header.Length);
        if (payload is { Length: > 0 })
        {
            _stream.Write(payload);
        }
        _stream.Flush();
    }

    private (byte Type, byte[] Body) ReadPacket()
    {
        var type = ReadByte();
        var length = 0;
        for (var shift = 0; ; shift += 7)
        {
            var digit = ReadByte();
            length |= (digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }
            if (shift >= 21)
            {
                throw new InvalidDataException("an MQTT length longer than four bytes");
            }
        }
        var body = new byte[length];
        _stream!.ReadExactly(body);
        return (type, body);
    }

    private byte ReadByte()
    {
        var b = _stream!.ReadByte();
        return b >= 0 ? (byte)b : throw new EndOfStreamException("the connection closed");
    }

    private static long VarInt(byte[] data, ref int at)
    {
        long value = 0;
        for (var shift = 0; at < data.Length && shift <= 21; shift += 7)
        {
            var digit = data[at++];
            value |= (long)(digit & 0x7F) << shift;
            if ((digit & 0x80) == 0)
            {
                break;
            }
        }
        return value;
    }

    private static void PutString(MemoryStream to, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        PutUInt16(to, (ushort)bytes.Length);
        to.Write(bytes);
    }

    private static void PutUInt16(MemoryStream to, ushort value)
    {
        to.WriteByte((byte)(value >> 8));
        to.WriteByte((byte)value);
    }

    private void Drop()
    {
        _stream?.Dispose();
        _socket?.Dispose();
        (_socket, _stream) = (null, null);
    }
}
