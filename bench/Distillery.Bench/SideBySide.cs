using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Distillery.Experiments;

namespace Distillery.Bench;

/// <summary>
/// The study's own code (<c>study_reference.py</c>) and <c>distillery run</c> on the same data, one after the other in
/// one benchmark run: the ratio of their whole-process wall times (the study's code at its best: the faster of 1 and 2
/// torch threads) and both sides' final losses, each model's means within 2 combined SEM or not. Rows: the default
/// study run (P1), <c>--preset fast</c> (P2), <c>--protocol leakage-free --preset forecast</c>, and the default run on
/// the Azure Storage backend (Azurite). With several seeds (parity mode) both sides run once per seed and the losses
/// are compared over the seeds.
/// </summary>
public static class SideBySide
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private static readonly string[] Models = ["teacher", "student", "fnn"];
    public const double P1Target = 10, P2Target = 250;

    /// <summary>Whether <paramref name="python"/> can import what the study's code needs; the reason when not.</summary>
    public static string? Unavailable(string python, string script)
    {
        if (!File.Exists(script)) return $"the study's code is not at {script}";
        try
        {
            var psi = new ProcessStartInfo(python, ["-c", "import torch, sklearn, pandas, scipy"]) { RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{python} cannot import torch, sklearn, pandas and scipy ({error.Trim().Split('\n')[^1]})";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{python} cannot be run ({e.Message})";
        }
    }

    public static JsonObject Run(Driver driver, string repositoryRoot, string python, string script, string data, IReadOnlyList<int> seeds,
        IReadOnlyList<int> referenceThreads, bool withBackends, List<string> failures)
    {
        var result = new JsonObject { ["script"] = script, ["python"] = python, ["data"] = data, ["seeds"] = new JsonArray(seeds.Select(s => (JsonNode)s).ToArray()) };
        var reason = Unavailable(python, script);
        if (reason is not null)
        {
            Console.WriteLine($"side by side: NOT MEASURED — {reason}");
            result["notMeasured"] = reason;
            return result;
        }
        result["torch"] = Capture(python, ["-c", "import torch; print(torch.__version__)"]);

        var reference = new JsonArray();
        List<ReferenceRun> referenceRuns;
        List<Driver.CliRun> p1;
        if (seeds.Count == 1)
        {
            // The study's code at its best: each thread count, one after the other; the faster is the yardstick.
            var byThreads = referenceThreads.Select(t => Reference(python, script, data, t, seeds[0])).ToList();
            foreach (var r in byThreads) reference.Add(r.Json);
            var best = byThreads.MinBy(r => r.Wall)!;
            referenceRuns = [best];
            result["referenceBest"] = new JsonObject { ["threads"] = best.Threads, ["processWall"] = Math.Round(best.Wall, 2) };
            // Distillery, the same settings (the study's defaults) for P1.
            p1 = [driver.RunCli($"p1-seed{seeds[0]}", ["--data", data, "--seed", seeds[0].ToString(Inv)])];
        }
        else
        {
            // Parity compares losses, not times: the seeds run two at a time (one thread each), so their walls are not
            // a speed measure.
            result["timesComparable"] = false;
            referenceRuns = TwoAtATime(seeds, seed => Reference(python, script, data, 1, seed));
            foreach (var r in referenceRuns) reference.Add(r.Json);
            p1 = TwoAtATime(seeds, seed => driver.RunCli($"p1-seed{seed}", ["--data", data, "--seed", seed.ToString(Inv), "--parallel", "1"]));
        }
        result["reference"] = reference;
        if (seeds.Count == 1) result["rows"] = Rows(driver, repositoryRoot, data, referenceRuns[0].Wall, p1[0], withBackends, failures);
        result["losses"] = Losses(referenceRuns, p1, failures);
        if (seeds.Count > 1)
        {
            // Parity: the same seeds with libtorch's autograd and Adam (the arithmetic before the fused steps), so a
            // difference from the study's code can be told apart from one the fused steps make.
            var libtorch = TwoAtATime(seeds, seed => driver.RunCli($"p1-libtorch-seed{seed}",
                ["--data", data, "--seed", seed.ToString(Inv), "--kernels", "libtorch", "--parallel", "1"]));
            var libtorchFailures = new List<string>();
            result["lossesLibtorch"] = Losses(referenceRuns, libtorch, libtorchFailures);
            result["libtorchFailures"] = new JsonArray(libtorchFailures.Select(f => (JsonNode)f).ToArray());
            result["perSeed"] = PerSeed(seeds, referenceRuns, p1, libtorch);
        }
        Print(result);
        return result;
    }

    /// <summary>The timed rows: the default study run (P1), and with <paramref name="withBackends"/> the fast preset
    /// (P2), the forecast preset and the Azure Storage backend, each against the study's code's wall.</summary>
    private static JsonArray Rows(Driver driver, string repositoryRoot, string data, double referenceWall, Driver.CliRun p1, bool withBackends,
        List<string> failures)
    {
        var rows = new JsonArray { Row("study (default), `distillery run`", p1, referenceWall, P1Target, failures) };
        if (withBackends)
        {
            // Runs of about ten seconds vary by a second or two from one to the next on this machine: the median of three.
            rows.Add(Row("`--preset fast`", MedianOf(ShortRunReps, () => driver.RunCli("p2", ["--data", data, "--preset", "fast"])), referenceWall, P2Target, failures));
            // What the fused kernels buy: the same two runs with libtorch's autograd and Adam.
            rows.Add(Row("`--preset fast --kernels libtorch`",
                MedianOf(ShortRunReps, () => driver.RunCli("p2-libtorch", ["--data", data, "--preset", "fast", "--kernels", "libtorch"])),
                referenceWall, null, failures));
            rows.Add(Row("study (default) `--kernels libtorch`", driver.RunCli("p1-libtorch", ["--data", data, "--kernels", "libtorch"]),
                referenceWall, null, failures));
            rows.Add(Row("`--protocol leakage-free --preset forecast`",
                MedianOf(ShortRunReps, () => driver.RunCli("forecast", ["--data", data, "--protocol", "leakage-free", "--preset", "forecast"])),
                referenceWall, null, failures));
            using var azurite = Azurite.Start(repositoryRoot);
            rows.Add(Row("study (default), Azure Storage backend (Azurite)",
                driver.RunCli("p1-azure", ["--data", data], azurite.ConnectionString, $"side{DateTime.UtcNow:HHmmss}"), referenceWall, null, failures));
        }
        return rows;
    }

    private const int ShortRunReps = 3;

    /// <summary>The run of median process wall among <paramref name="reps"/> runs (each one after the other); all walls
    /// are kept in the row (<c>processWalls</c>).</summary>
    private static (Driver.CliRun Median, double[] Walls) MedianOf(int reps, Func<Driver.CliRun> run)
    {
        var runs = Enumerable.Range(0, reps).Select(_ => run()).OrderBy(r => r.ProcessWall).ToList();
        return (runs[runs.Count / 2], runs.Select(r => Math.Round(r.ProcessWall, 2)).ToArray());
    }

    private static JsonObject Row(string name, (Driver.CliRun Median, double[] Walls) runs, double referenceWall, double? target, List<string> failures)
    {
        var row = Row(name, runs.Median, referenceWall, target, failures);
        row["processWalls"] = new JsonArray(runs.Walls.Select(w => (JsonNode)w).ToArray());
        return row;
    }

    /// <summary><paramref name="run"/> for each seed, two at once, results in the seeds' order.</summary>
    private static List<T> TwoAtATime<T>(IReadOnlyList<int> seeds, Func<int, T> run)
    {
        var results = new T[seeds.Count];
        Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => results[i] = run(seeds[i]));
        return [.. results];
    }

    private sealed record ReferenceRun(int Threads, int Seed, double Wall, JsonNode Output, JsonObject Json);

    private static ReferenceRun Reference(string python, string script, string data, int threads, int seed)
    {
        var output = Path.Combine(Path.GetTempPath(), $"study-reference-t{threads}-s{seed}-{Guid.NewGuid():N}.json");
        // torch's thread count does not bind OpenBLAS's own pool (a "1 thread" run was seen using 2 cores): both follow
        // the count, so a thread count is what the run used.
        var (wall, rss, _) = Driver.Run($"study's code, {threads} thread(s), seed {seed}", python,
            [script, data, output, "--threads", threads.ToString(Inv), "--seed", seed.ToString(Inv)],
            new Dictionary<string, string> { ["OPENBLAS_NUM_THREADS"] = threads.ToString(Inv), ["OMP_NUM_THREADS"] = threads.ToString(Inv) });
        var json = JsonNode.Parse(File.ReadAllText(output))!;
        File.Delete(output);
        var summary = new JsonObject
        {
            ["threads"] = threads, ["seed"] = seed, ["processWall"] = Math.Round(wall, 2), ["peakRssKb"] = rss,
            ["totalSeconds"] = json["total_s"]?.DeepClone(),
        };
        foreach (var m in Models)
            summary[m] = new JsonObject
            {
                ["meanTrain"] = json[m]!["mean_train"]!.DeepClone(), ["semTrain"] = json[m]!["sem_train"]!.DeepClone(),
                ["meanTest"] = json[m]!["mean_test"]!.DeepClone(), ["semTest"] = json[m]!["sem_test"]!.DeepClone(),
            };
        var vsTruth = json["student_test_vs_truth"]!.AsArray().Select(v => v!.GetValue<double>()).ToList();
        summary["studentTestVsTruth"] = new JsonObject { ["mean"] = Statistics.Mean(vsTruth), ["sem"] = Statistics.Sem(vsTruth) };
        return new ReferenceRun(threads, seed, wall, json, summary);
    }

    private static JsonObject Row(string name, Driver.CliRun run, double referenceWall, double? target, List<string> failures)
    {
        var ratio = referenceWall / run.ProcessWall;
        if (target is { } t && ratio < t) failures.Add($"{name}: {ratio:F1}× < {t:0}×");
        return new JsonObject
        {
            ["name"] = name, ["runId"] = run.RunId, ["processWall"] = Math.Round(run.ProcessWall, 2), ["peakRssKb"] = run.MaxRssKb,
            ["ratio"] = Math.Round(ratio, 2), ["target"] = target,
            // Where the time goes: the orchestration (results.json timings.wall: prepare to the last job), the rest of
            // the process (start-up, the report, exit), and the jobs' own seconds summed.
            ["orchestrationWall"] = Math.Round(run.Wall, 2), ["outsideOrchestration"] = Math.Round(run.ProcessWall - run.Wall, 2),
            ["prepare"] = Math.Round(run.Timing("prepare"), 2), ["jobSeconds"] = Math.Round(run.JobSeconds, 2),
            ["meanTestVsTruth"] = new JsonObject
            {
                ["teacher"] = run.MeanTest("teacher"), ["student"] = run.StudentVsTruth, ["fnn"] = run.MeanTest("fnn"),
            },
        };
    }

    /// <summary>Each model's final train and test loss, both sides: with one seed, mean ± SEM over the folds; with
    /// several, per seed the fold means, then mean ± SEM over the seeds. Within: |Δ| ≤ 2·√(SEM₁² + SEM₂²).</summary>
    private static JsonArray Losses(IReadOnlyList<ReferenceRun> reference, IReadOnlyList<Driver.CliRun> ours, List<string> failures)
    {
        var rows = new JsonArray();
        foreach (var m in Models)
            foreach (var (loss, refKey, ourKey) in new[] { ("train", "mean_train", "meanTrain"), ("test", "mean_test", "meanTest") })
            {
                (double Mean, double Sem) Theirs() => reference.Count == 1
                    ? (reference[0].Output[m]![refKey]!.GetValue<double>(), reference[0].Output[m]![refKey.Replace("mean", "sem")]!.GetValue<double>())
                    : Over(reference.Select(r => r.Output[m]![refKey]!.GetValue<double>()));
                (double Mean, double Sem) Ours() => ours.Count == 1
                    ? (ours[0].Results["summary"]![m]![ourKey]!.GetValue<double>(), ours[0].Results["summary"]![m]![ourKey.Replace("mean", "sem")]!.GetValue<double>())
                    : Over(ours.Select(r => r.Results["summary"]![m]![ourKey]!.GetValue<double>()));
                var (a, b) = (Theirs(), Ours());
                var bound = 2 * Math.Sqrt(a.Sem * a.Sem + b.Sem * b.Sem);
                var within = Math.Abs(a.Mean - b.Mean) <= bound;
                if (!within) failures.Add($"{m} {loss} loss {b.Mean:F4} vs the study's {a.Mean:F4}: beyond 2 combined SEM ({bound:F4})");
                rows.Add(new JsonObject
                {
                    ["model"] = m, ["loss"] = loss, ["study"] = Pair(a), ["distillery"] = Pair(b), ["twoCombinedSem"] = Math.Round(bound, 6),
                    ["within"] = within, ["over"] = reference.Count == 1 ? "folds" : "seeds",
                });
            }
        return rows;
    }

    /// <summary>Per seed and side: each model's final train and test loss (mean over folds) and the best teacher's fold.</summary>
    private static JsonArray PerSeed(IReadOnlyList<int> seeds, IReadOnlyList<ReferenceRun> reference, IReadOnlyList<Driver.CliRun> fused,
        IReadOnlyList<Driver.CliRun> libtorch)
    {
        JsonObject Ours(Driver.CliRun run)
        {
            var side = new JsonObject { ["bestTeacherFold"] = run.Results["bestTeacherFold"]?.DeepClone(), ["runId"] = run.RunId };
            foreach (var m in Models)
                side[m] = new JsonObject
                {
                    ["train"] = run.Results["summary"]![m]!["meanTrain"]!.DeepClone(), ["test"] = run.Results["summary"]![m]!["meanTest"]!.DeepClone(),
                };
            return side;
        }
        var rows = new JsonArray();
        for (var i = 0; i < seeds.Count; i++)
        {
            var study = new JsonObject { ["bestTeacherFold"] = reference[i].Output["best_teacher_fold"]?.DeepClone() };
            foreach (var m in Models)
                study[m] = new JsonObject
                {
                    ["train"] = reference[i].Output[m]!["mean_train"]!.DeepClone(), ["test"] = reference[i].Output[m]!["mean_test"]!.DeepClone(),
                };
            rows.Add(new JsonObject { ["seed"] = seeds[i], ["study"] = study, ["fused"] = Ours(fused[i]), ["libtorch"] = Ours(libtorch[i]) });
        }
        return rows;
    }

    private static (double, double) Over(IEnumerable<double> values)
    {
        var list = values.ToList();
        return (Statistics.Mean(list), Statistics.Sem(list));
    }

    private static JsonObject Pair((double Mean, double Sem) v) => new() { ["mean"] = Math.Round(v.Mean, 6), ["sem"] = Math.Round(v.Sem, 6) };

    private static string Capture(string program, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }

    public static void Print(JsonObject s)
    {
        if (s["referenceBest"] is { } best)
            Console.WriteLine($"side by side: the study's code best at {best["threads"]} thread(s), {best["processWall"]} s");
        foreach (var r in s["rows"]?.AsArray() ?? [])
            Console.WriteLine($"  {r!["name"],-55} {r["processWall"],8} s  {r["ratio"],7}×{(r["target"] is { } t ? $"  (target ≥ {t}×)" : "")}");
        foreach (var l in s["losses"]!.AsArray())
            Console.WriteLine($"  {l!["model"],-8} {l["loss"],-5} study {l["study"]!["mean"]} ± {l["study"]!["sem"]}  distillery {l["distillery"]!["mean"]} ± {l["distillery"]!["sem"]}  " +
                              $"{((bool)l["within"]! ? "within" : "BEYOND")} 2 combined SEM");
    }
}
