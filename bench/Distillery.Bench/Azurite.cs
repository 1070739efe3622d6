using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Distillery.Bench;

/// <summary>Azurite (blob, queue, table) in memory on three free loopback ports, from node_modules/.bin/azurite;
/// the bench starts it for the Azure Storage scenarios and stops it (the whole process tree) when they end.</summary>
public sealed class Azurite : IDisposable
{
    private const string Account = "devstoreaccount1";
    // Azurite's public, documented development key (not a secret).
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private readonly Process process;
    private readonly int blob, queue, table;

    private Azurite(Process process, int blob, int queue, int table) => (this.process, this.blob, this.queue, this.table) = (process, blob, queue, table);

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};BlobEndpoint=http://127.0.0.1:{blob}/{Account};" +
        $"QueueEndpoint=http://127.0.0.1:{queue}/{Account};TableEndpoint=http://127.0.0.1:{table}/{Account};";

    public static Azurite Start(string repositoryRoot)
    {
        var exe = Path.Combine(repositoryRoot, "node_modules", ".bin", "azurite");
        if (!File.Exists(exe)) throw new InvalidOperationException($"{exe} not found: run npm ci at the repository root");
        var (b, q, t) = (FreePort(), FreePort(), FreePort());
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = repositoryRoot };
        foreach (var a in new[] { "--blobHost", "127.0.0.1", "--blobPort", $"{b}", "--queueHost", "127.0.0.1", "--queuePort", $"{q}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{t}", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence",
                     "--disableTelemetry", "--silent" })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var server = new Azurite(p, b, q, t);
        var deadline = Stopwatch.StartNew();
        while (!new[] { b, q, t }.All(Listening))
        {
            if (p.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                server.Dispose();
                throw new InvalidOperationException("Azurite did not start within 30 s");
            }
            Thread.Sleep(100);
        }
        return server;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }
}
