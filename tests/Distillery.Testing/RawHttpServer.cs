using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Distillery.Tests;

/// <summary>One request on a connection of <see cref="RawHttpServer"/>: its target (path and query) and the socket,
/// to answer, stall or reset it at will.</summary>
public sealed record RawRequest(string Target, TcpClient Client, NetworkStream Stream, CancellationToken Stopping)
{
    public string Path => Target.Split('?')[0];

    /// <summary>A complete answer; with <paramref name="withLength"/> off the body runs until the connection closes.</summary>
    public async Task AnswerAsync(string status, byte[] body, string headers = "", bool withLength = true)
    {
        if (withLength) headers += $"Content-Length: {body.Length}\r\n";
        await Stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\n{headers}Connection: close\r\n\r\n"), Stopping);
        await Stream.WriteAsync(body, Stopping);
    }

    /// <summary>Closes with RST instead of FIN.</summary>
    public void Reset()
    {
        Client.Client.LingerState = new LingerOption(true, 0);
        Client.Client.Close();
    }
}

/// <summary>HTTP/1.1 on a free 127.0.0.1 port at the socket level, one request per connection, for the faults an
/// HttpListener cannot make (resets, half bodies, no length, no answer). Each request goes to <c>serve</c>.</summary>
public sealed class RawHttpServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Func<RawRequest, Task> serve;
    private readonly Task loop;

    public RawHttpServer(Func<RawRequest, Task> serve)
    {
        this.serve = serve;
        listener.Start();
        loop = Task.Run(AcceptLoop);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    private async Task AcceptLoop()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop.Token); }
            catch { return; }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var head = new StringBuilder();
            var buf = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n") && await stream.ReadAsync(buf, stop.Token) == 1) head.Append((char)buf[0]);
            await serve(new RawRequest(head.ToString().Split(' ')[1], client, stream, stop.Token));
        }
        // The client may hang up early (a size limit), the handler may reset, the server may stop.
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try { await loop; } catch { }
        stop.Dispose();
    }
}
