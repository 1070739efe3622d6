using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Distillery.Tests.Azurite;

/// <summary>
/// An Azurite (blob, queue, table) process on three free loopback ports, from <c>node_modules/.bin/azurite</c>
/// at the repository root (<c>npm ci</c> installs it). Stop and start again keep the ports, so a test can take storage
/// away mid-run (<see cref="StopAsync"/> gracefully, <see cref="KillAsync"/> like a crash) and bring it back.
/// With <see cref="AzuriteServer(string?, string?)"/>'s <c>dataDirectory</c> the data survives a graceful stop;
/// otherwise it lives in memory and is lost on any stop.
/// </summary>
public sealed class AzuriteServer : IAsyncDisposable, IDisposable
{
    public const string AccountName = "devstoreaccount1";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public const string NotInstalledMessage = "Azurite is not installed: run npm ci at the repository root";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string executable;
    private readonly string? dataDirectory;
    private readonly object gate = new();
    private readonly StringBuilder output = new();
    private Process? process;

    /// <param name="azuritePath">The azurite launcher; default <c>node_modules/.bin/azurite</c> under the repository root.</param>
    /// <param name="dataDirectory">Persist data there (survives restarts) instead of in memory.</param>
    public AzuriteServer(string? azuritePath = null, string? dataDirectory = null)
    {
        executable = azuritePath ?? DefaultExecutable();
        if (!File.Exists(executable)) throw new InvalidOperationException($"{NotInstalledMessage} ({executable} not found)");
        this.dataDirectory = dataDirectory;
        (BlobPort, QueuePort, TablePort) = (FreePort(), FreePort(), FreePort());
    }

    public int BlobPort { get; private set; }
    public int QueuePort { get; private set; }
    public int TablePort { get; private set; }
    public bool IsRunning => process is { HasExited: false };
    public string BlobEndpoint => $"http://127.0.0.1:{BlobPort}/{AccountName}";
    public string QueueEndpoint => $"http://127.0.0.1:{QueuePort}/{AccountName}";
    public string TableEndpoint => $"http://127.0.0.1:{TablePort}/{AccountName}";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};TableEndpoint={TableEndpoint};";

    /// <summary>Starts a new server and waits until all three ports accept connections.</summary>
    public static async Task<AzuriteServer> StartNewAsync(string? dataDirectory = null, CancellationToken ct = default)
    {
        var server = new AzuriteServer(dataDirectory: dataDirectory);
        try
        {
            await server.StartAsync(ct);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts Azurite (again) on this server's ports. The first start retries with fresh ports if one was taken meanwhile.</summary>
    public async Task StartAsync(CancellationToken ct = default)
    {
        if (IsRunning) return;
        var firstStart = process is null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnceAsync(ct);
                return;
            }
            catch (InvalidOperationException) when (firstStart && attempt < 3 && Output.Contains("EADDRINUSE"))
            {
                (BlobPort, QueuePort, TablePort) = (FreePort(), FreePort(), FreePort());
            }
        }
    }

    private async Task StartOnceAsync(CancellationToken ct)
    {
        lock (gate) output.Clear();
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(executable)))!,
        };
        foreach (var arg in new[]
                 {
                     "--blobHost", "127.0.0.1", "--blobPort", $"{BlobPort}",
                     "--queueHost", "127.0.0.1", "--queuePort", $"{QueuePort}",
                     "--tableHost", "127.0.0.1", "--tablePort", $"{TablePort}",
                     "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--silent",
                 })
            info.ArgumentList.Add(arg);
        if (dataDirectory is null) info.ArgumentList.Add("--inMemoryPersistence");
        else
        {
            Directory.CreateDirectory(dataDirectory);
            info.ArgumentList.Add("--location");
            info.ArgumentList.Add(dataDirectory);
        }

        Process started;
        try
        {
            started = Process.Start(info) ?? throw new InvalidOperationException($"could not start {executable}");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"could not start {executable} (is Node.js on PATH?): {ex.Message}", ex);
        }
        started.OutputDataReceived += (_, e) => Append(e.Data);
        started.ErrorDataReceived += (_, e) => Append(e.Data);
        started.BeginOutputReadLine();
        started.BeginErrorReadLine();
        process = started;
        AppDomain.CurrentDomain.ProcessExit += KillOnExit;

        var deadline = Stopwatch.StartNew();
        foreach (var port in new[] { BlobPort, QueuePort, TablePort })
        {
            while (!await AcceptsAsync(port, ct))
            {
                if (started.HasExited)
                {
                    await started.WaitForExitAsync(ct); // flush the output
                    throw new InvalidOperationException($"azurite exited with code {started.ExitCode} before listening on port {port}: {Output}");
                }
                if (deadline.Elapsed > StartTimeout)
                {
                    await StopAsync();
                    throw new InvalidOperationException($"azurite did not listen on port {port} within {StartTimeout.TotalSeconds:0} s: {Output}");
                }
                await Task.Delay(100, ct);
            }
        }
    }

    /// <summary>
    /// Stops Azurite gracefully (SIGTERM to its own process id, so a data directory is saved),
    /// falling back to <see cref="KillAsync"/> after 10 s. Waits until the process has exited.
    /// </summary>
    public async Task StopAsync()
    {
        var running = process;
        if (running is null) return;
        try
        {
            if (!running.HasExited && !OperatingSystem.IsWindows() && SendSignal(running.Id, SigTerm) == 0)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try { await running.WaitForExitAsync(timeout.Token); }
                catch (OperationCanceledException) { }
            }
        }
        catch (InvalidOperationException) { } // already gone
        await KillAsync();
    }

    /// <summary>Kills Azurite at once (its own process id and its children), like a crash: a data directory may lose the last seconds of writes.</summary>
    public async Task KillAsync()
    {
        var running = process;
        if (running is null) return;
        AppDomain.CurrentDomain.ProcessExit -= KillOnExit;
        try
        {
            if (!running.HasExited) running.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await running.WaitForExitAsync(timeout.Token);
        }
        catch (InvalidOperationException) { } // already gone
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Stop, then start on the same ports.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await StopAsync();
        await StartAsync(ct);
    }

    /// <summary>What Azurite wrote to stdout and stderr since it was last started.</summary>
    public string Output
    {
        get { lock (gate) return output.ToString().Trim(); }
    }

    public async ValueTask DisposeAsync()
    {
        if (dataDirectory is null) await KillAsync(); // nothing to save
        else await StopAsync();
        process?.Dispose();
        process = null;
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void KillOnExit(object? sender, EventArgs e)
    {
        try { if (process is { HasExited: false } p) p.Kill(entireProcessTree: true); }
        catch { } // best effort while the test host exits
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (gate) if (output.Length < 64 * 1024) output.AppendLine(line);
    }

    private static async Task<bool> AcceptsAsync(int port, CancellationToken ct)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>A loopback port that was free a moment ago.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        finally { listener.Stop(); }
    }

    /// <summary>The directory holding Distillery.sln, found by walking up from the test binaries.</summary>
    public static string RepositoryRoot() => RepoPaths.Root;

    private static string DefaultExecutable() =>
        Path.Combine(RepositoryRoot(), "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
}

/// <summary>xunit class or collection fixture: one Azurite for the tests that share it. Fails (never skips) when Azurite is missing.</summary>
public class AzuriteFixture : IAsyncLifetime
{
    private AzuriteServer? server;

    public AzuriteServer Server => server ?? throw new InvalidOperationException("Azurite has not been started");
    public string ConnectionString => Server.ConnectionString;

    public async Task InitializeAsync() => server = await AzuriteServer.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (server is not null) await server.DisposeAsync();
    }
}
