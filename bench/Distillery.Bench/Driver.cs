using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Bench;

/// <summary>Runs the CLI for P1/P2 (under /usr/bin/time -v for peak RSS) and the scaling runs, the P3 micro-benchmark
/// in process, prints the table and writes results.json.</summary>
public sealed partial class Driver(string cli, string work)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record CliRun(string Label, string RunId, double ProcessWall, long? MaxRssKb, JsonNode Results,
        IReadOnlyList<Job> Jobs, string Log)
    {
        /// <summary>/proc/loadavg's 1-minute average before and after the run: other processes' load on the machine.</summary>
        public (double Before, double After) Load { get; init; }
        public double Timing(string key) => Results["timings"]?[key]?.GetValue<double>() ?? double.NaN;
        public double MeanTest(string model) => Results["summary"]![model]!["meanTest"]!.GetValue<double>();
        public double StudentVsTruth => Results["studentTestVsTruth"]!["mean"]!.GetValue<double>();
        public double Wall => Timing("wall");
        public double JobSeconds => Jobs.Sum(j => j.Seconds);
    }

    public sealed record Job(string Kind, int Fold, double Seconds, string Worker = "");

    /// <summary>Runs <c>distillery run</c> to the end; with <paramref name="connection"/> on that Azure Storage
    /// account (task hub <paramref name="taskHub"/>), artifacts and results in its Blob Storage.</summary>
    public CliRun RunCli(string label, IEnumerable<string> options, string? connection = null, string? taskHub = null)
    {
        var runId = NewRunId(label);
        var args = new List<string> { cli, "run", "--out", OutDir, "--run-id", runId };
        args.AddRange(options);
        if (connection is not null) args.AddRange(["--connection", connection, "--task-hub", taskHub ?? "distillery"]);
        return Collect(label, runId, RunProcess(label, args), connection);
    }

    /// <summary>The same run's jobs by the plain loop (<see cref="Loop"/>) in a process of its own, as the CLI's is:
    /// the settings are those <paramref name="settingsFrom"/> stored.</summary>
    public CliRun RunLoop(string label, string settingsFrom, int parallel, string? connection = null)
    {
        var runId = NewRunId(label);
        var args = new List<string> { Path.Combine(AppContext.BaseDirectory, "distillery-bench.dll"), "loop", "--from", settingsFrom,
            "--run-id", runId, "--out", OutDir, "--parallel", parallel.ToString(Inv) };
        if (connection is not null) args.AddRange(["--connection", connection]);
        return Collect(label, runId, RunProcess(label, args), connection);
    }

    private string OutDir => Path.Combine(work, "out");

    private static string NewRunId(string label) => $"bench-{label}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";

    private sealed record ProcessRun(double Wall, long? MaxRssKb, string Stdout, double LoadBefore, double LoadAfter);

    /// <summary>dotnet with these arguments under /usr/bin/time -v when there is one (peak RSS, wall clock).</summary>
    private static ProcessRun RunProcess(string label, IReadOnlyList<string> args) => RunProcess(label, "dotnet", args);

    /// <summary><paramref name="program"/> with these arguments, timed as <see cref="RunProcess(string, IReadOnlyList{string})"/>.</summary>
    public static (double Wall, long? MaxRssKb, string Stdout) Run(string label, string program, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var run = RunProcess(label, program, args, environment);
        return (run.Wall, run.MaxRssKb, run.Stdout);
    }

    private static ProcessRun RunProcess(string label, string program, IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var timeTool = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
        var psi = new ProcessStartInfo(timeTool ?? program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        if (timeTool is not null) { psi.ArgumentList.Add("-v"); psi.ArgumentList.Add(program); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        Console.Error.WriteLine($"[bench] {label}: {program} {Shown(program == "dotnet" ? args.Skip(1) : args)}");
        var loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{label}: exited with {process.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        long? rss = null;
        if (timeTool is not null)
        {
            if (RssRegex().Match(stderr.Result) is { Success: true } m) rss = long.Parse(m.Groups[1].Value, Inv);
            if (WallRegex().Match(stderr.Result) is { Success: true } w) wall = ParseClock(w.Groups[1].Value);
        }
        return new ProcessRun(wall, rss, stdout.Result, loadBefore, LoadAverage());
    }

    // Connection strings are long and say nothing in a log line.
    private static string Shown(IEnumerable<string> args) =>
        string.Join(' ', args.Select(a => a.Contains("AccountKey=", StringComparison.Ordinal) ? "<azurite>" : a));

    /// <summary>The run's results.json and its jobs, from the local folder or, with a connection, Blob Storage.</summary>
    private CliRun Collect(string label, string runId, ProcessRun run, string? connection)
    {
        IArtifactStore store = connection is null ? new LocalDirectoryStore(OutDir) : Loop.BlobStoreAsync(connection).GetAwaiter().GetResult();
        var bytes = store.ReadAsync($"runs/{runId}/results.json").GetAwaiter().GetResult()
                    ?? throw new InvalidOperationException($"{label}: no results.json in {store.Describe()}");
        var results = JsonNode.Parse(bytes) ?? throw new InvalidOperationException($"{label}: empty results.json");
        // A run of several experiments indexes theirs: its jobs are all of theirs, its timings theirs (one orchestration).
        var experiments = results["parts"] is JsonArray parts
            ? parts.Select(p => JsonNode.Parse(store.ReadAsync(p!["resultsPath"]!.GetValue<string>()).GetAwaiter().GetResult()
                                               ?? throw new InvalidOperationException($"{label}: {p["resultsPath"]} is missing"))!).ToList()
            : [results];
        if (experiments.Count > 1 || !ReferenceEquals(experiments[0], results)) results["timings"] = experiments[0]["timings"]!.DeepClone();
        var jobs = experiments.SelectMany(e => e["jobs"]!.AsArray()).Select(j => new Job(j!["kind"]!.GetValue<string>(), j["fold"]!.GetValue<int>(),
            j["seconds"]!.GetValue<double>(), j["worker"]?.GetValue<string>() ?? "")).ToList();
        return new CliRun(label, runId, run.Wall, run.MaxRssKb, results, jobs, run.Stdout) { Load = (run.LoadBefore, run.LoadAfter) };
    }

    /// <summary>A <c>distillery worker</c> process, returned once it has joined the task hub.</summary>
    public Process StartWorker(string connection, string taskHub, int parallel)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { cli, "worker", "--connection", connection, "--task-hub", taskHub, "--parallel", parallel.ToString(Inv) })
            psi.ArgumentList.Add(a);
        Console.Error.WriteLine($"[bench] worker: dotnet {Shown(psi.ArgumentList.Skip(1))}");
        var process = Process.Start(psi)!;
        var joined = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) => { if (e.Data?.Contains(" joined ", StringComparison.Ordinal) == true) joined.TrySetResult(); };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!joined.Task.Wait(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("the worker did not join the task hub within 60 s");
        }
        return process;
    }

    /// <summary>SIGTERM, as a platform stops an instance: the worker drains and exits.</summary>
    public static void StopWorker(Process worker)
    {
        if (!worker.HasExited) Process.Start("kill", ["-TERM", worker.Id.ToString(Inv)])!.WaitForExit();
        if (!worker.WaitForExit(90_000)) worker.Kill(entireProcessTree: true);
        worker.Dispose();
    }

    public static double LoadAverage()
    {
        try { return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], Inv); }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { return double.NaN; }
    }

    private static double ParseClock(string text)
    {
        var parts = text.Split(':').Select(p => double.Parse(p, Inv)).ToArray();
        return parts.Aggregate(0.0, (acc, p) => acc * 60 + p);
    }

    [GeneratedRegex(@"Maximum resident set size \(kbytes\): (\d+)")]
    private static partial Regex RssRegex();

    [GeneratedRegex(@"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)")]
    private static partial Regex WallRegex();

    /// <summary>Least-squares slope of log(y) on log(x).</summary>
    public static double FitExponent(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        var lx = x.Select(v => Math.Log(v)).ToArray();
        var ly = y.Select(v => Math.Log(v)).ToArray();
        double mx = lx.Average(), my = ly.Average();
        return lx.Zip(ly).Sum(p => (p.First - mx) * (p.Second - my)) / lx.Sum(v => (v - mx) * (v - mx));
    }

    public static JsonObject Machine()
    {
        string Grep(string file, string key)
        {
            try { return File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"; }
            catch (IOException) { return "?"; }
        }
        string OsRelease()
        {
            try { return File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? RuntimeInformation.OSDescription; }
            catch (IOException) { return RuntimeInformation.OSDescription; }
        }
        var memKb = Grep("/proc/meminfo", "MemTotal").Split(' ')[0];
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["cpu"] = Grep("/proc/cpuinfo", "model name"),
            ["memoryGb"] = double.TryParse(memKb, Inv, out var kb) ? Math.Round(kb / 1048576, 1) : null,
            ["os"] = $"{OsRelease()} ({RuntimeInformation.OSDescription})",
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["torchSharp"] = typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString(),
            ["libtorch"] = LibTorchVersion(),
            ["date"] = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm 'UTC'", Inv),
        };
    }

    private static string LibTorchVersion()
    {
        var deps = Path.Combine(AppContext.BaseDirectory, "distillery-bench.deps.json");
        if (!File.Exists(deps)) return "?";
        var m = Regex.Match(File.ReadAllText(deps), "\"libtorch-cpu-linux-x64/([^\"]+)\"");
        return m.Success ? m.Groups[1].Value : "?";
    }

    /// <summary>Writes synthetic data with US_FL's header for the given number of windows (rows = windows + 24).</summary>
    public string Synthetic(int windows, int seed)
    {
        var path = Path.Combine(work, "data", $"synthetic-{windows}w-seed{seed}.csv");
        if (!File.Exists(path)) SyntheticData.WriteFile(path, windows + 24, seed);
        return path;
    }
}
