using System.Net;
using System.Net.Sockets;

namespace Drivers.Core.Net;

/// <summary>
/// A synchronous TCP connect with a time limit, for the sinks that talk their protocol themselves (a one-shot
/// push then starts no thread for the socket engine or a timer). Every address of the host is tried in turn.
/// </summary>
public static class TcpDial
{
    /// <summary>A connected, blocking socket with no delay; the first address's SocketException when none answers.</summary>
    public static Socket Connect(string host, int port, TimeSpan timeout)
    {
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : Dns.GetHostAddresses(host);
        SocketException? failure = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                Connect(socket, new IPEndPoint(address, port), timeout);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                failure ??= e;
            }
        }
        throw failure ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>connect(2) without blocking, waited for up to <paramref name="timeout"/>.</summary>
    private static void Connect(Socket socket, IPEndPoint endpoint, TimeSpan timeout)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(endpoint);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            if (!socket.Poll(timeout, SelectMode.SelectWrite))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }
            if (socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error and not 0)
            {
                throw new SocketException(error);
            }
        }
        socket.Blocking = true;
    }
}
