using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Distillery.Bench;

/// <summary>Regenerates the READMEs' benchmark blocks (between <c>&lt;!-- generated:NAME --&gt;</c> and
/// <c>&lt;!-- /generated:NAME --&gt;</c>) from results.json, so no figure there is typed by hand.</summary>
public static class Readme
{
    public static void Regenerate(JsonObject results, string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} not found");
        var text = File.ReadAllText(path);
        if (results["durable"] is JsonObject durable)
        {
            text = Replace(text, "durable", Durable(durable), path);
            text = Replace(text, "durable-summary", DurableSummary(durable), path);
        }
        if (results["sideBySide"] is JsonObject side && side["rows"] is not null)
        {
            text = Replace(text, "side-by-side", SideBySideTable(side, "sideBySide"), path);
            text = Replace(text, "run-time", RunTime(side), path);
        }
        if (results["parity"] is JsonObject parity && parity["losses"] is not null) text = Replace(text, "parity", Parity(parity), path);
        if (results["growth"] is JsonObject growth && growth["oneProcess"] is not null)
        {
            text = Replace(text, "growth", Growth(growth), path);
            text = Replace(text, "growth-summary", GrowthSummary(growth), path);
        }
        File.WriteAllText(path, text);
    }

    private static string SideBySideTable(JsonObject s, string key)
    {
        var sb = new StringBuilder();
        var best = s["referenceBest"]!;
        sb.AppendLine($"{Machine(s["machine"])}; bench/results.json `{key}`, written by `bench/run.sh --only side-by-side` (or the full run). " +
                      $"The study's code: `{s["script"]}` under `{s["python"]}` (torch {s["torch"]}), " +
                      string.Join(", ", s["reference"]!.AsArray().Select(r => $"{r!["threads"]} thread(s) {D(r["processWall"]):F1} s")) +
                      $"; the faster ({best["threads"]} thread(s)) is the yardstick. Whole-process wall clock (`/usr/bin/time`), one after the other.");
        sb.AppendLine();
        sb.AppendLine("| run | wall | × faster than the study's code | target | test MSE vs truth, teacher / student / FNN |");
        sb.AppendLine("|---|---:|---:|---|---|");
        sb.AppendLine($"| the study's code (`study_reference.py`, {best["threads"]} thread(s)) | {D(best["processWall"]):F1} s | 1× | — | " +
                      Reference(s) + " |");
        foreach (var r in s["rows"]!.AsArray())
        {
            var ratio = D(r!["ratio"]);
            var target = r["target"] is { } t ? $"≥ {D(t):0}×: {(ratio >= D(t) ? "met" : "missed")}" : "—";
            var m = r["meanTestVsTruth"]!;
            // Short rows are the median of several runs: their walls, in order, beside it.
            var walls = r["processWalls"] is JsonArray all ? $" (median of {string.Join(", ", all.Select(w => $"{D(w):F1}"))})" : "";
            sb.AppendLine($"| {r["name"]} | {D(r["processWall"]):F1} s{walls} | **{ratio:F1}×** | {target} | {D(m["teacher"]):F3} / {D(m["student"]):F3} / {D(m["fnn"]):F3} |");
        }
        sb.AppendLine();
        sb.AppendLine("Where each run's time goes: the orchestration (results.json `timings.wall`: from the first step to the last job), the rest of " +
                      "the process (start-up, the report, exit), the data preparation, and the training jobs' own seconds summed over both cores:");
        sb.AppendLine();
        sb.AppendLine("| run | process | orchestration | outside it | prepare | job seconds | peak RSS |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in s["rows"]!.AsArray().Where(r => r!["orchestrationWall"] is not null))
            sb.AppendLine($"| {r!["name"]} | {D(r["processWall"]):F1} s | {D(r["orchestrationWall"]):F1} s | {D(r["outsideOrchestration"]):F1} s | " +
                          $"{D(r["prepare"]):F1} s | {D(r["jobSeconds"]):F1} s | {(r["peakRssKb"] is { } k ? $"{k.GetValue<long>() / 1024.0:F0} MB" : "—")} |");
        sb.AppendLine();
        sb.Append(Losses(s, key));
        return sb.ToString();
    }

    /// <summary>The quick start's sentence on how long the default run and the fast preset take.</summary>
    private static string RunTime(JsonObject s)
    {
        var rows = s["rows"]!.AsArray();
        double Wall(string name) => rows.FirstOrDefault(r => r!["name"]!.GetValue<string>() == name)?["processWall"] is { } w ? D(w) : double.NaN;
        return $"In the last side-by-side benchmark on this machine ({Machine(s["machine"])}) it took {Wall("study (default), `distillery run`"):F1} s, " +
               $"and `--preset fast` (mini-batches) {Wall("`--preset fast`"):F1} s, against {D(s["referenceBest"]!["processWall"]):F0} s for the study's own code; " +
               "see [Timings](#timings).\n";
    }

    private static string Reference(JsonObject s)
    {
        var first = s["reference"]!.AsArray().First(r => D(r!["processWall"]) == D(s["referenceBest"]!["processWall"]))!;
        return $"{D(first["teacher"]!["meanTest"]):F3} / {D(first["studentTestVsTruth"]!["mean"]):F3} / {D(first["fnn"]!["meanTest"]):F3}";
    }

    private static string Parity(JsonObject p)
    {
        var sb = new StringBuilder();
        var seeds = string.Join(", ", p["seeds"]!.AsArray().Select(x => x!.GetValue<int>()));
        sb.AppendLine($"{Machine(p["machine"])}; bench/results.json `parity`, written by `bench/run.sh --parity`: the default study run with seeds {seeds} " +
                      "on both sides (the study's code `--seed`, `distillery run --seed`), and Distillery once more with `--kernels libtorch` (libtorch's " +
                      "autograd and Adam, the arithmetic before the fused steps). Per seed the mean over the folds, then mean ± SEM over the seeds. " +
                      "The seeds ran two at a time, one thread each: these runs' times are not a speed measure.");
        sb.AppendLine();
        sb.Append(Losses(p, "parity", "losses", "Distillery (fused, the default)"));
        if (p["lossesLibtorch"] is not null)
        {
            sb.AppendLine();
            sb.Append(Losses(p, "parity", "lossesLibtorch", "Distillery `--kernels libtorch`"));
        }
        if (p["perSeed"] is JsonArray perSeed)
        {
            sb.AppendLine();
            sb.AppendLine("Per seed (mean over the folds; best teacher fold in brackets), the study's code / fused / libtorch:");
            sb.AppendLine();
            sb.AppendLine("| seed | teacher train | teacher test | student train (vs teacher) | student test (vs teacher) | FNN train | FNN test |");
            sb.AppendLine("|---|---|---|---|---|---|---|");
            foreach (var row in perSeed)
            {
                string Cell(string model, string loss) => string.Join(" / ", new[] { "study", "fused", "libtorch" }.Select(side => $"{D(row![side]![model]![loss]):F3}"));
                var folds = string.Join(" / ", new[] { "study", "fused", "libtorch" }.Select(side => row![side]!["bestTeacherFold"]?.ToJsonString() ?? "?"));
                sb.AppendLine($"| {row!["seed"]} ({folds}) | {Cell("teacher", "train")} | {Cell("teacher", "test")} | {Cell("student", "train")} | " +
                              $"{Cell("student", "test")} | {Cell("fnn", "train")} | {Cell("fnn", "test")} |");
            }
        }
        return sb.ToString();
    }

    private static string Losses(JsonObject s, string key, string field = "losses", string ours = "Distillery")
    {
        var sb = new StringBuilder();
        var over = s[field]!.AsArray().FirstOrDefault()?["over"]?.GetValue<string>() ?? "folds";
        sb.AppendLine($"Final losses of the default study run, the study's code vs {ours} (bench/results.json `{key}.{field}`), mean ± SEM over the {over}; " +
                      "\"within\" means |Δ| ≤ 2 combined SEM:");
        sb.AppendLine();
        sb.AppendLine($"| model | loss | the study's code | {ours} | 2 combined SEM | within |");
        sb.AppendLine("|---|---|---:|---:|---:|---|");
        foreach (var l in s[field]!.AsArray())
            sb.AppendLine($"| {l!["model"]} | {l["loss"]} | {D(l["study"]!["mean"]):F4} ± {D(l["study"]!["sem"]):F4} | " +
                          $"{D(l["distillery"]!["mean"]):F4} ± {D(l["distillery"]!["sem"]):F4} | {D(l["twoCombinedSem"]):F4} | {((bool)l["within"]! ? "yes" : "**no**")} |");
        return sb.ToString();
    }

    /// <summary>Replaces a block's body; a file without that block is left as it is.</summary>
    private static string Replace(string text, string name, string body, string path)
    {
        var (begin, end) = ($"<!-- generated:{name} -->", $"<!-- /generated:{name} -->");
        var a = text.IndexOf(begin, StringComparison.Ordinal);
        if (a < 0) return text;
        var b = text.IndexOf(end, a, StringComparison.Ordinal);
        if (b < 0) throw new InvalidOperationException($"{path}: {begin} without {end}");
        return text[..(a + begin.Length)] + "\n" + body + text[b..];
    }

    private static string Durable(JsonObject d)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Machine(d["machine"])} (bench/results.json `durable`, written by `bench/run.sh`).");
        sb.AppendLine();
        sb.AppendLine("| run | backend | `distillery run` | plain loop | difference | job seconds (run / loop) | overhead outside the jobs | same results | target |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var o in d["overhead"]!.AsArray().OrderBy(o => o!["preset"]!.GetValue<string>() == "study" ? 0 : 1))
        {
            var preset = o!["preset"]!.GetValue<string>() == "study" ? "study (default)" : "`--preset fast`";
            var (outside, outsidePercent) = Outside(o);
            var target = o["targetPercent"] is { } t ? $"≤ {D(t):0.#} %: {(outsidePercent <= D(t) ? "met" : "missed")}" : "—";
            sb.AppendLine($"| {preset} | {Backend(o["backend"])} | {D(o["durableProcessWall"]):F1} s | {D(o["loopProcessWall"]):F1} s | " +
                          $"{D(o["overheadSeconds"]):F1} s = {D(o["overheadPercentOfLoop"]):F1} % | {D(o["durableJobSeconds"]):F0} / {D(o["loopJobSeconds"]):F0} s | " +
                          $"{outside:F1} s = **{outsidePercent:F1} %** | {(o["sameResults"]!.GetValue<bool>() ? "yes" : "NO")} | {target} |");
        }
        var loads = d["overhead"]!.AsArray().SelectMany(o => o!["loadAverage1m"]!.AsArray().Select(D)).Where(double.IsFinite).ToList();
        sb.AppendLine();
        sb.AppendLine($"Process wall clock of each command (`/usr/bin/time`), {d["overhead"]![0]!["parallel"]} jobs at once in both, percentages of the loop's " +
                      "wall. \"Job seconds\" is the sum of the training jobs' own times (results.json `jobs`); the orchestration does not run " +
                      "inside them, so where they differ the machine differed (other processes' load). \"Overhead outside the jobs\" takes them out: " +
                      "(run wall − its job seconds / parallel) − (loop wall − its job seconds / parallel), the time spent outside training " +
                      "(start-up, dispatch, prepare, summarize, idle slots) that the durable run adds; the targets are judged on it. " +
                      $"1-minute load average around the runs {loads.Min():F1}–{loads.Max():F1} (the machine has {d["machine"]?["cores"]} cores).");
        var s = d["scaleOut"]!;
        var one = s["one"]!;
        var two = s["two"]!;
        var speedUp = D(s["speedUp"]);
        sb.AppendLine();
        sb.AppendLine("Scale-out, `--preset fast` on Azure Storage (Azurite), each process one job at a time:");
        sb.AppendLine();
        sb.AppendLine("| processes | `distillery run` wall | orchestration wall (results.json) | jobs per process |");
        sb.AppendLine("|---|---|---|---|");
        sb.AppendLine($"| 1 (`run --parallel 1`) | {D(one["processWall"]):F1} s | {D(one["orchestrationWall"]):F1} s | all |");
        sb.AppendLine($"| 2 (`run --parallel 1` + `worker --parallel 1`) | {D(two["processWall"]):F1} s | {D(two["orchestrationWall"]):F1} s | " +
                      $"{string.Join(" + ", two["jobsPerWorker"]!.AsArray().Select(v => v!.GetValue<int>()))} |");
        sb.AppendLine($"| speed-up | **{speedUp:F2}×** | {D(s["speedUpOrchestration"]):F2}× | target ≥ {D(s["target"]):0.0#}×: {(speedUp >= D(s["target"]) ? "met" : "missed")} |");
        sb.AppendLine();
        // The jobs' own seconds bound the speed-up: two jobs side by side share the cores with whatever else runs.
        var slowdown = D(two["jobSeconds"]) / D(one["jobSeconds"]);
        sb.AppendLine($"Same results in both: {(s["sameResults"]!.GetValue<bool>() ? "yes" : "NO")}. The worker joined the task hub before the run was " +
                      "scheduled (as an always-ready instance has); the run command's wall includes its own start-up and the hub's creation. " +
                      $"Job seconds: {D(one["jobSeconds"]):F1} s one at a time, {D(two["jobSeconds"]):F1} s two at a time — each job took {slowdown:F2}× " +
                      $"as long side by side, which alone caps the speed-up on this machine at {2 / slowdown:F2}×; the rest of the " +
                      $"difference is time outside the jobs ({D(one["processWall"]) - D(one["jobSeconds"]):F1} s in the one-process run: start-up, " +
                      "queue polling between phases, the report).");
        return sb.ToString();
    }

    private static string Growth(JsonObject g)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"{Machine(g["machine"])}; bench/results.json `growth`, written by `bench/run.sh --only growth` (or the full run): {g["what"]}.");
        foreach (var (name, key) in new[] { ("One process (in memory, every core)", "oneProcess"), ("Two worker processes (the run + one `distillery worker`, " +
                     "one job at a time each, Azure Storage task hub on Azurite; peak RSS of the run command's process)", "twoWorkers") })
        {
            var sweep = g[key]!;
            sb.AppendLine();
            sb.AppendLine($"{name}:");
            sb.AppendLine();
            sb.AppendLine("| size | process wall | job seconds | peak RSS | jobs per process |");
            sb.AppendLine("|---|---:|---:|---:|---|");
            foreach (var axis in new[] { "windows", "locations" })
            {
                foreach (var p in sweep[axis]!.AsArray())
                    sb.AppendLine($"| {p![axis]} {axis}{(axis == "windows" ? $" ({D(p["factor"]):0.#}×)" : "")} | {D(p["processWall"]):F1} s | {D(p["jobSeconds"]):F1} s | " +
                                  $"{(p["peakRssKb"] is { } r ? $"{r.GetValue<long>() / 1024.0:F0} MB" : "—")} | " +
                                  $"{string.Join(" + ", p["jobsPerWorker"]!.AsArray().Select(v => v!.GetValue<int>()))} |");
                var e = sweep["exponents"]![axis]!;
                sb.AppendLine($"| exponent in {axis} | **{D(e["processWall"]):F2}** | {D(e["jobSeconds"]):F2} | {D(e["peakRss"]):F2} | |");
            }
        }
        return sb.ToString();
    }

    private static string GrowthSummary(JsonObject g)
    {
        string Line(string key, string name)
        {
            var sweep = g[key]!;
            var e = sweep["exponents"]!;
            string Ends(string axis)
            {
                var points = sweep[axis]!.AsArray();
                return $"{points[0]![axis]} → {points[^1]![axis]} {axis}: {D(points[0]!["processWall"]):F1} → {D(points[^1]!["processWall"]):F1} s";
            }
            return $"{name}: {Ends("windows")} (wall ∝ windows^{D(e["windows"]!["processWall"]):F2}, peak memory ^{D(e["windows"]!["peakRss"]):F2}); " +
                   $"{Ends("locations")} (wall ∝ locations^{D(e["locations"]!["processWall"]):F2}, peak memory ^{D(e["locations"]!["peakRss"]):F2})";
        }
        return $"{Machine(g["machine"])}: {Line("oneProcess", "one process")}; {Line("twoWorkers", "two worker processes")}. Tables: " +
               "[bench/README.md](bench/README.md#cost-as-work-grows).\n";
    }

    private static string DurableSummary(JsonObject d)
    {
        string Percent(string backend) => d["overhead"]!.AsArray().FirstOrDefault(o => o!["preset"]!.GetValue<string>() == "study"
            && o["backend"]!.GetValue<string>() == backend) is { } o ? $"{Outside(o).Percent:F1} %" : "not measured";
        return $"Durable backends ({Machine(d["machine"])}): orchestration overhead (time outside the training jobs) of the default run against the same jobs in a plain loop " +
               $"{Percent("inMemory")} in memory (target ≤ 5 %) and {Percent("azureStorage")} on Azure Storage/Azurite (≤ 10 %); " +
               $"`--preset fast` over two processes {D(d["scaleOut"]!["speedUp"]):F2}× faster than over one (target ≥ {D(d["scaleOut"]!["target"]):0.0#}×: " +
               $"{(D(d["scaleOut"]!["speedUp"]) >= D(d["scaleOut"]!["target"]) ? "met" : "missed")}). Method, load and the fast preset's figures: " +
               "[bench/README.md](bench/README.md#durable-backends-overhead-and-scale-out).\n";
    }

    private static (double Seconds, double Percent) Outside(JsonNode o)
    {
        var seconds = DurableBench.OutsideJobs(D(o["durableProcessWall"]), D(o["durableJobSeconds"]), D(o["loopProcessWall"]),
            D(o["loopJobSeconds"]), o["parallel"]!.GetValue<int>());
        return (seconds, 100 * seconds / D(o["loopProcessWall"]));
    }

    private static string Backend(JsonNode? b) => b!.GetValue<string>() == "inMemory" ? "in memory" : "Azure Storage (Azurite)";

    private static string Machine(JsonNode? m) => m is null ? "?" :
        $"{m["cores"]} cores, {m["cpu"]}, {m["dotnet"]}, {m["date"]}";

    private static double D(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();
}
