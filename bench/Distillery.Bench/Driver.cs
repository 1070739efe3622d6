using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Distillery.Data;
using Distillery.Experiments;

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
        public int Parallel { get; init; } = Environment.ProcessorCount;

        /// <summary>
        /// prepare + the jobs' own seconds packed onto the workers as the orchestration queues them: the teachers and
        /// then the FNNs at once (first come, first served), the distilled students once every teacher is done.
        /// </summary>
        public double CriticalPath
        {
            get
            {
                var free = new double[Math.Max(1, Parallel)];
                double Run(double seconds, double notBefore)
                {
                    var w = Array.IndexOf(free, free.Min());
                    free[w] = Math.Max(free[w], notBefore) + seconds;
                    return free[w];
                }
                var teachersDone = Jobs.Where(j => j.Kind == "teacher").OrderBy(j => j.Fold).Select(j => Run(j.Seconds, 0)).DefaultIfEmpty(0).Max();
                foreach (var j in Jobs.Where(j => j.Kind == "fnn").OrderBy(j => j.Fold)) Run(j.Seconds, 0);
                foreach (var j in Jobs.Where(j => j.Kind == "student").OrderBy(j => j.Fold)) Run(j.Seconds, teachersDone);
                return Timing("prepare") + free.Max();
            }
        }

        public double DurableOverhead => Wall - CriticalPath;
    }

    public sealed record Job(string Kind, int Fold, double Seconds);

    public static double Makespan(IEnumerable<double> jobs, int workers)
    {
        var free = new double[Math.Max(1, workers)];
        foreach (var s in jobs)
        {
            var w = Array.IndexOf(free, free.Min());
            free[w] += s;
        }
        return free.Max();
    }

    public CliRun RunCli(string label, IEnumerable<string> options)
    {
        var runId = $"bench-{label}-{DateTime.UtcNow:HHmmss}-{Guid.NewGuid().ToString("N")[..4]}";
        var outDir = Path.Combine(work, "out");
        var args = new List<string> { cli, "run", "--out", outDir, "--run-id", runId };
        args.AddRange(options);
        var timeTool = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
        var psi = new ProcessStartInfo(timeTool ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (timeTool is not null) { psi.ArgumentList.Add("-v"); psi.ArgumentList.Add("dotnet"); }
        foreach (var a in args) psi.ArgumentList.Add(a);
        Console.Error.WriteLine($"[bench] {label}: dotnet {string.Join(' ', args.Skip(1))}");
        var loadBefore = LoadAverage();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var wall = clock.Elapsed.TotalSeconds;
        var log = stdout.Result;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{label}: the CLI exited with {process.ExitCode}\n{log}\n{stderr.Result}");
        long? rss = null;
        if (timeTool is not null)
        {
            if (RssRegex().Match(stderr.Result) is { Success: true } m) rss = long.Parse(m.Groups[1].Value, Inv);
            if (WallRegex().Match(stderr.Result) is { Success: true } w) wall = ParseClock(w.Groups[1].Value);
        }
        var runDir = Path.Combine(outDir, "runs", runId);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(runDir, "results.json")))
                      ?? throw new InvalidOperationException($"{label}: empty results.json");
        var jobs = Directory.GetFiles(Path.Combine(runDir, "curves"), "*.json").Select(f =>
        {
            var model = JsonNode.Parse(File.ReadAllText(f))!["model"]!;
            return new Job(model["kind"]!.GetValue<string>(), model["fold"]!.GetValue<int>(), model["seconds"]!.GetValue<double>());
        }).ToList();
        return new CliRun(label, runId, wall, rss, results, jobs, log) { Load = (loadBefore, LoadAverage()) };
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
