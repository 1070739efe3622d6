using System.Net;

namespace Distillery.Tests;

/// <summary>A real HTTP server on a free loopback port; each request is answered by <c>handle</c>, which must close
/// the response. Counts the requests it received.</summary>
public sealed class LoopbackHttpServer : IDisposable
{
    private readonly HttpListener listener = new();
    private int requests;

    public LoopbackHttpServer(Func<HttpListenerContext, Task> handle)
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        Root = $"http://127.0.0.1:{port}/";
        listener.Prefixes.Add(Root);
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); } catch { return; }
                Interlocked.Increment(ref requests);
                _ = Task.Run(() => handle(context));
            }
        });
    }

    /// <summary>Every request answered with one status and no body.</summary>
    public static LoopbackHttpServer Status(int status) => new(context =>
    {
        context.Response.StatusCode = status;
        context.Response.Close();
        return Task.CompletedTask;
    });

    public string Root { get; }
    public string Url(string path) => Root + path.TrimStart('/');
    public int Requests => Volatile.Read(ref requests);

    public void Dispose() => listener.Close();
}
