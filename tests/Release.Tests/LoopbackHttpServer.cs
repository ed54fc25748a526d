using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Drivers.Conformance;

namespace Release.Tests;

/// <summary>python3 -m http.server serving a folder on 127.0.0.1: install.sh downloading over real HTTP.</summary>
internal sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly Process process;

    private LoopbackHttpServer(Process process, int port)
    {
        this.process = process;
        Url = $"http://127.0.0.1:{port}";
    }

    public string Url { get; }

    public static async Task<LoopbackHttpServer> StartAsync(string folder)
    {
        var port = FreePort();
        var process = ToolRunner.Start("python3", ["-m", "http.server", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--directory", folder]);
        var server = new LoopbackHttpServer(process, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"python3 -m http.server did not listen on 127.0.0.1:{port}");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
    }
}
