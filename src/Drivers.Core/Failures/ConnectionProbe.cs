using System.Net.Sockets;

namespace Drivers.Core.Failures;

/// <summary>
/// Why a server cannot be reached, found by dialling it once more: some client libraries report a failed
/// connect as their own advice only (StackExchange.Redis: "use abortConnect=false …"), with no socket error
/// to tell a refused port from an unknown host. Only called after a connect has failed.
/// </summary>
public static class ConnectionProbe
{
    /// <summary>
    /// <c>connection refused</c>, <c>host not found</c>, <c>timed out</c>, …; or, when a TCP connection does
    /// open, <paramref name="whenOpen"/> (the server is there but the client's handshake failed).
    /// </summary>
    public static async Task<string> ReasonAsync(string host, int port, string whenOpen, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(2));
        try
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            return whenOpen;
        }
        catch (SocketException e)
        {
            return ErrorText.NetworkReason(e)!;
        }
        catch (OperationCanceledException)
        {
            return "timed out";
        }
    }
}
