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
        File.WriteAllText(path, text);
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
        sb.AppendLine("| run | backend | `distillery run` | plain loop | overhead | job seconds (run / loop) | same results | target |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var o in d["overhead"]!.AsArray().OrderBy(o => o!["preset"]!.GetValue<string>() == "study" ? 0 : 1))
        {
            var preset = o!["preset"]!.GetValue<string>() == "study" ? "study (default)" : "`--preset fast`";
            var percent = D(o["overheadPercentOfLoop"]);
            var target = o["targetPercent"] is { } t ? $"≤ {D(t):0.#} %: {(percent <= D(t) ? "met" : "missed")}" : "—";
            sb.AppendLine($"| {preset} | {Backend(o["backend"])} | {D(o["durableProcessWall"]):F1} s | {D(o["loopProcessWall"]):F1} s | " +
                          $"{D(o["overheadSeconds"]):F1} s = **{percent:F1} %** | {D(o["durableJobSeconds"]):F0} / {D(o["loopJobSeconds"]):F0} s | " +
                          $"{(o["sameResults"]!.GetValue<bool>() ? "yes" : "NO")} | {target} |");
        }
        var loads = d["overhead"]!.AsArray().SelectMany(o => o!["loadAverage1m"]!.AsArray().Select(D)).Where(double.IsFinite).ToList();
        sb.AppendLine();
        sb.AppendLine($"Process wall clock of each command (`/usr/bin/time`), {d["overhead"]![0]!["parallel"]} jobs at once in both; overhead in % of the loop's " +
                      "wall. \"Job seconds\" is the sum of the training jobs' own times: where the two differ, the machine (or the jobs' " +
                      $"placement) differed, not the orchestration. 1-minute load average around the runs {loads.Min():F1}–{loads.Max():F1}.");
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
        sb.AppendLine($"Same results in both: {(s["sameResults"]!.GetValue<bool>() ? "yes" : "NO")}. The worker joined the task hub before the run was " +
                      "scheduled (as an always-ready instance has); the run command's wall includes its own start-up and the hub's creation.");
        return sb.ToString();
    }

    private static string DurableSummary(JsonObject d)
    {
        string Percent(string backend) => d["overhead"]!.AsArray().FirstOrDefault(o => o!["preset"]!.GetValue<string>() == "study"
            && o["backend"]!.GetValue<string>() == backend) is { } o ? $"{D(o["overheadPercentOfLoop"]):F1} %" : "not measured";
        return $"Durable backends ({Machine(d["machine"])}): orchestration overhead of the default run against the same jobs in a plain loop " +
               $"{Percent("inMemory")} in memory (target ≤ 5 %) and {Percent("azureStorage")} on Azure Storage/Azurite (≤ 10 %); " +
               $"`--preset fast` over two processes {D(d["scaleOut"]!["speedUp"]):F2}× faster than over one (≥ 1.8×). Method and the fast preset's figures: " +
               "[bench/README.md](bench/README.md#durable-backends-overhead-and-scale-out).\n";
    }

    private static string Backend(JsonNode? b) => b!.GetValue<string>() == "inMemory" ? "in memory" : "Azure Storage (Azurite)";

    private static string Machine(JsonNode? m) => m is null ? "?" :
        $"{m["cores"]} cores, {m["cpu"]}, {m["dotnet"]}, {m["date"]}";

    private static double D(JsonNode? n) => n is null ? double.NaN : n.GetValue<double>();
}
