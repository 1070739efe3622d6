using System.Globalization;
using System.Text.Json.Nodes;

namespace Distillery.Bench;

/// <summary>
/// Cost as work grows, whole process: `distillery run --preset fast` on synthetic data with US_FL's schema, its wall
/// clock and peak memory against windows (0.5×, 1×, 2×, 4× US_FL's) and against locations (1, 2, 4, 8 synthetic
/// locations of 1× in one run), with fitted exponents (cost ∝ size^k); each once in one process (in memory, every
/// core) and once on two worker processes (the run and one `distillery worker`, one job at a time each, on an Azure
/// Storage task hub in Azurite).
/// </summary>
public static class Growth
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static JsonObject Run(Driver driver, string repositoryRoot, int baseWindows, bool tiny)
    {
        var fast = Distillery.Experiments.Presets.Apply("fast", new Distillery.Experiments.ExperimentSettings());
        var epochs = (tiny ? 1 : fast.Epochs).ToString(Inv);
        string[] Options(IEnumerable<string> data) => [.. data.SelectMany(d => new[] { "--data", d }), "--preset", "fast", "--epochs", epochs];
        var windowFactors = tiny ? new[] { 0.5, 1.0 } : [0.5, 1, 2, 4];
        var locationCounts = tiny ? new[] { 1, 2 } : [1, 2, 4, 8];
        var sizes = windowFactors.Select(f => (int)Math.Round(baseWindows * f)).ToArray();

        JsonObject Sweep(string label, Func<string, IReadOnlyList<string>, Driver.CliRun> run)
        {
            var windows = sizes.Select((w, i) => Point(run($"{label}-w{w}", Options([driver.Synthetic(w, 1)])), "windows", w, windowFactors[i])).ToList();
            var locations = locationCounts.Select(n => Point(run($"{label}-l{n}",
                Options(Enumerable.Range(1, n).Select(seed => driver.Synthetic(baseWindows, seed)))), "locations", n, n)).ToList();
            return new JsonObject
            {
                ["windows"] = new JsonArray([.. windows]), ["locations"] = new JsonArray([.. locations]),
                ["exponents"] = new JsonObject { ["windows"] = Exponents(windows, "windows"), ["locations"] = Exponents(locations, "locations") },
            };
        }

        var result = new JsonObject
        {
            ["what"] = "`distillery run --preset fast` (process wall from /usr/bin/time, peak RSS) on synthetic data with US_FL's schema " +
                       $"({baseWindows} windows at 1×, seed 1; locations: seeds 1..n, each {baseWindows} windows); exponent k of cost ∝ size^k, least squares on logs",
            ["epochs"] = int.Parse(epochs, Inv),
        };
        result["oneProcess"] = Sweep("grow", (label, options) => driver.RunCli(label, options));
        using (var azurite = Azurite.Start(repositoryRoot))
        {
            var hubs = 0;
            result["twoWorkers"] = Sweep("grow2", (label, options) =>
            {
                var hub = $"grow{DateTime.UtcNow:HHmmss}n{++hubs}";
                var worker = driver.StartWorker(azurite.ConnectionString, hub, 1);
                try { return driver.RunCli(label, [.. options, "--parallel", "1"], azurite.ConnectionString, hub); }
                finally { Driver.StopWorker(worker); }
            });
        }
        Print(result);
        return result;
    }

    private static JsonObject Point(Driver.CliRun run, string axis, int size, double factor) => new()
    {
        [axis] = size, ["factor"] = factor, ["runId"] = run.RunId, ["processWall"] = Math.Round(run.ProcessWall, 2),
        ["orchestrationWall"] = Math.Round(run.Wall, 2), ["jobSeconds"] = Math.Round(run.JobSeconds, 2), ["peakRssKb"] = run.MaxRssKb,
        ["jobsPerWorker"] = new JsonArray([.. run.Jobs.GroupBy(j => j.Worker).Select(g => (JsonNode)g.Count())]),
    };

    private static JsonObject Exponents(IReadOnlyList<JsonObject> points, string axis)
    {
        static double Num(JsonNode? n) => double.Parse(n!.ToJsonString(), Inv);
        var x = points.Select(p => Num(p[axis])).ToList();
        double Fit(string key) => Math.Round(Driver.FitExponent(x, points.Select(p => Num(p[key])).ToList()), 3);
        return new JsonObject
        {
            ["processWall"] = Fit("processWall"), ["jobSeconds"] = Fit("jobSeconds"),
            ["peakRss"] = points.All(p => p["peakRssKb"] is not null) ? Fit("peakRssKb") : null,
        };
    }

    public static void Print(JsonObject g)
    {
        foreach (var (name, sweep) in new[] { ("one process", g["oneProcess"]), ("two workers", g["twoWorkers"]) })
            foreach (var axis in new[] { "windows", "locations" })
            {
                var e = sweep!["exponents"]![axis]!;
                Console.WriteLine($"growth, {name}, {axis}: " + string.Join("; ", sweep[axis]!.AsArray().Select(p =>
                    $"{p![axis]} → {p["processWall"]} s, {(p["peakRssKb"] is { } r ? $"{r.GetValue<long>() / 1024.0:F0} MB" : "?")}")) +
                    $"  (exponents: wall {e["processWall"]}, job seconds {e["jobSeconds"]}, peak RSS {e["peakRss"]})");
            }
    }
}
