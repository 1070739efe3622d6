using System.Diagnostics;
using System.Text;

namespace Distillery.Tests.Hosting;

/// <summary>A real <c>distillery</c> child process (the CLI built beside the tests), its output captured.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private CliProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => process.Id;
    public string Worker => $"{Environment.MachineName}:{process.Id}";
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    public static CliProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "distillery.dll"));
        foreach (var arg in args) info.ArgumentList.Add(arg);
        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Waits until the output has a line that satisfies <paramref name="match"/>.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Split('\n').Any(match))
        {
            if (process.HasExited) throw new InvalidOperationException($"process {Id} exited ({process.ExitCode}) before the expected line: {Output}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"process {Id}: no expected line in {timeout.TotalSeconds} s: {Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL: no cleanup, no drain, in-flight work abandoned.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited) process.Kill();
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as a service manager stops a worker; waits for it to exit.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (!process.HasExited) Syscall.Kill(process.Id, Syscall.SigTerm);
        await process.WaitForExitAsync().WaitAsync(timeout);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
    }

    private static class Syscall
    {
        public const int SigTerm = 15;

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        public static extern int Kill(int pid, int signal);
    }
}
