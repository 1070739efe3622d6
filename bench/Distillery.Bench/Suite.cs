using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distillery.Experiments;

namespace Distillery.Bench;

/// <summary>The whole benchmark: P1 (study protocol), P2 (fast preset), P3 (inference), P4 (durable overhead),
/// P5 (peak RSS), scaling in windows. <c>--tiny</c>: the same code paths on small synthetic data in seconds (CI).</summary>
public static class Suite
{
    public static int Run(string cli, string work, string resultsPath, bool tiny, int p1Reps, int p2Reps, bool skipP1, string p1From,
        bool durableOnly = false)
    {
        if (string.IsNullOrEmpty(cli) || !File.Exists(cli)) throw new ArgumentException($"--cli: '{cli}' not found (build src/Distillery.Cli first)");
        Directory.CreateDirectory(work);
        var driver = new Driver(cli, work);
        var machine = Driver.Machine();
        var results = new JsonObject { ["machine"] = machine, ["tiny"] = tiny };
        var failures = new List<string>();

        // Data: the embedded US_FL, or (tiny) a small synthetic file with its header.
        var dataOptions = tiny ? new List<string> { "--data", driver.Synthetic(40, 1), "--folds", "2" } : new List<string>();
        var fast = Presets.Apply(Presets.Fast, new ExperimentSettings());

        // P1: the study protocol (batch 1, 101 passes, 5 folds) — tiny: 1 pass, 2 folds.
        var p1Options = tiny ? [.. dataOptions, "--epochs", "0"] : dataOptions;
        // P2: the fast preset (tiny: 2 passes).
        var p2Options = new List<string>(dataOptions)
        {
            "--batch-size", fast.BatchSize.ToString(CultureInfo.InvariantCulture),
            "--epochs", (tiny ? 1 : fast.Epochs).ToString(CultureInfo.InvariantCulture),
            "--teacher-lr", fast.TeacherLr.ToString("R", CultureInfo.InvariantCulture),
            "--student-lr", fast.StudentLr.ToString("R", CultureInfo.InvariantCulture),
        };
        if (durableOnly) return DurableOnly(driver, machine, resultsPath, work, tiny, p1Options, p2Options);
        // The study's own code beside distillery run, measured in this run (not in tiny mode: it takes ~20 minutes per side).
        if (!tiny)
        {
            var side = SideBySide.Run(driver, Directory.GetCurrentDirectory(), "/usr/bin/python3", "../shared/reference/study_reference.py",
                DefaultData.Path, [0], [1, 2], withBackends: true, failures);
            side["machine"] = machine.DeepClone();
            results["sideBySide"] = side;
        }
        var referenceSeconds = results["sideBySide"]?["referenceBest"]?["processWall"]?.GetValue<double>() ?? double.NaN;
        var p1Runs = new List<Driver.CliRun>();
        if (!skipP1)
            for (var i = 0; i < Math.Max(1, p1Reps); i++) p1Runs.Add(driver.RunCli("p1", p1Options));
        var p2Runs = Enumerable.Range(0, Math.Max(1, p2Reps)).Select(_ => driver.RunCli("p2", p2Options)).ToList();

        // The durable backends: overhead against a plain loop, scale-out over two processes.
        var durable = DurableBench.Run(driver, Directory.GetCurrentDirectory(), p1Options, p2Options, tiny, failures);
        durable["machine"] = machine.DeepClone();

        // Cost as work grows: the fast preset against windows and locations, one process and two workers.
        var growth = Growth.Run(driver, Directory.GetCurrentDirectory(), tiny ? 40 : 381, tiny);
        growth["machine"] = machine.DeepClone();

        // P3: inference, in process.
        // US_FL's shape (the embedded file; run.sh runs from the repository root).
        using var fx = Fixture.Load(DefaultData.Path);
        var infer = Inference.Run(fx.Shape, tiny ? 200 : 3000);

        // Where a batch-1 pass goes, per phase of a step (tiny: 1 repetition).
        var profile = Profile.Run(fx, tiny ? 1 : 3);

        // Same numbers as the loop this replaced, on the real data (tiny: 1 pass).
        var verify = Verify.Run(fx, tiny ? 1 : 3);
        if (verify.Any(v => !v.Identical)) failures.Add("the trainer's numbers differ from the original loop's");

        // Scaling: synthetic data at 0.5×, 1×, 2× US_FL's windows, fold 1 teacher + student, in process.
        var baseWindows = tiny ? 40 : 381;
        var scalingPasses = tiny ? 1 : 10;
        var scaling = Scaling.Run(w => driver.Synthetic(w, 2), baseWindows, scalingPasses);
        var exponentCpu = Driver.FitExponent(scaling.Select(s => (double)s.Windows).ToList(), scaling.Select(s => s.Cpu).ToList());
        var exponentWall = Driver.FitExponent(scaling.Select(s => (double)s.Windows).ToList(), scaling.Select(s => s.Wall).ToList());

        // Table.
        Console.WriteLine();
        Console.WriteLine($"machine: {machine["cores"]} cores, {machine["cpu"]}, {machine["memoryGb"]} GB, {machine["os"]}, {machine["dotnet"]}, " +
                          $"TorchSharp {machine["torchSharp"]}, libtorch {machine["libtorch"]}, {machine["date"]}{(tiny ? "  [TINY]" : "")}");
        Console.WriteLine();
        var p1Json = new JsonArray();
        Driver.CliRun? p1Best = null;
        if (p1Runs.Count > 0)
        {
            p1Best = p1Runs.MinBy(r => r.ProcessWall)!;
            var walls = p1Runs.Select(r => r.ProcessWall).ToList();
            Console.WriteLine($"P1 study protocol ({p1Runs.Count} run{(p1Runs.Count > 1 ? "s" : "")}): wall min {walls.Min():F1} s, median {Inference.Median(walls):F1} s " +
                              (double.IsFinite(referenceSeconds)
                                  ? $"(the study's code in this run: {referenceSeconds:F0} s; {referenceSeconds / walls.Min():F1}×, target ≥ {SideBySide.P1Target:0}×)"
                                  : "(the study's code was not measured in this run: no ratio)"));
            foreach (var r in p1Runs)
            {
                Row(r);
                p1Json.Add(RunJson(r));
            }
        }
        var p2Walls = p2Runs.Select(r => r.ProcessWall).ToList();
        Console.WriteLine($"P2 fast preset (batch {fast.BatchSize}, {fast.Epochs} epochs, teacher lr {fast.TeacherLr}, student lr {fast.StudentLr}; {p2Runs.Count} runs): " +
                          $"wall min {p2Walls.Min():F1} s, median {Inference.Median(p2Walls):F1} s (target ≤ 15 s)");
        foreach (var r in p2Runs) Row(r);
        var p2 = p2Runs.MinBy(r => r.ProcessWall)!;
        if (!tiny && p2Walls.Min() > 15) failures.Add($"P2 wall {p2Walls.Min():F1} s > 15 s");
        var accuracy = new JsonObject();
        // P1's accuracy: this run's, or (--skip-p1) the one recorded in --p1-from (a results.json of an earlier run).
        var p1Accuracy = p1Best is not null
            ? new Dictionary<string, double> { ["teacher"] = p1Best.MeanTest("teacher"), ["student"] = p1Best.StudentVsTruth, ["fnn"] = p1Best.MeanTest("fnn") }
            : LoadP1(p1From);
        Console.WriteLine($"mean test MSE vs truth (sum over test windows of each window's MSE, mean over folds):");
        Console.WriteLine($"  {"model",-8} {"P1 study",10} {"P2 fast",10}");
        foreach (var (name, f) in new (string, Func<Driver.CliRun, double>)[]
                 { ("teacher", r => r.MeanTest("teacher")), ("student", r => r.StudentVsTruth), ("fnn", r => r.MeanTest("fnn")) })
        {
            var a = p1Accuracy is null ? double.NaN : p1Accuracy[name];
            var b = f(p2);
            Console.WriteLine($"  {name,-8} {a,10:F4} {b,10:F4}{(b <= a ? "" : "  WORSE")}");
            accuracy[name] = new JsonObject { ["p1"] = Num(a), ["p2"] = Num(b) };
            if (!tiny && p1Accuracy is not null && b > a) failures.Add($"P2 {name} test MSE {b:F4} > P1's {a:F4}");
        }
        Inference.Print(infer);
        var ratio = infer[0].LatencyMicrosMedian / infer[1].LatencyMicrosMedian;
        if (!tiny && ratio < 5) failures.Add($"P3 latency ratio {ratio:F1} < 5");
        if (p1Best is not null)
        {
            Console.WriteLine($"P5 peak RSS: {Gb(p1Best.MaxRssKb)} (target ≤ 1.5 GB)");
            if (!tiny && p1Best.MaxRssKb > 1.5 * 1024 * 1024) failures.Add("P5 peak RSS > 1.5 GB");
        }
        Profile.Print(profile);
        Verify.Print(verify);
        Console.WriteLine($"scaling (fold 1 teacher + student, {scalingPasses} passes, batch 1, synthetic US_FL schema, in process): " +
                          $"fitted exponent in windows: CPU {exponentCpu:F2}, wall {exponentWall:F2}");
        foreach (var r in scaling)
            Console.WriteLine($"  {r.Factor,4:0.0}× {r.Windows,5} windows ({r.TrainWindows} train, {r.Features} features): CPU {r.Cpu,6:F1} s  wall {r.Wall,6:F1} s  " +
                              $"CPU per train window·pass {1e3 * r.Cpu / (r.TrainWindows * scalingPasses):F3} ms");
        if (!tiny && Math.Abs(exponentCpu - 1) > 0.15) failures.Add($"scaling exponent {exponentCpu:F2} is not ≈ 1");

        results["p1"] = new JsonObject
        {
            ["runs"] = p1Json,
            ["wallMin"] = p1Runs.Count > 0 ? p1Runs.Min(r => r.ProcessWall) : null,
            ["wallMedian"] = p1Runs.Count > 0 ? Inference.Median(p1Runs.Select(r => r.ProcessWall)) : null,
            ["studyCodeSeconds"] = double.IsFinite(referenceSeconds) ? referenceSeconds : null,
            ["targetRatio"] = SideBySide.P1Target,
        };
        results["p2"] = new JsonObject
        {
            ["preset"] = new JsonObject { ["batchSize"] = fast.BatchSize, ["epochs"] = fast.Epochs, ["teacherLr"] = fast.TeacherLr, ["studentLr"] = fast.StudentLr },
            ["runs"] = new JsonArray(p2Runs.Select(r => (JsonNode)RunJson(r)).ToArray()),
            ["wallMin"] = p2Walls.Min(),
            ["wallMedian"] = Inference.Median(p2Walls),
            ["targetSeconds"] = 15,
            ["testMseVsTruth"] = accuracy,
        };
        results["p3"] = new JsonObject
        {
            ["threads"] = 1,
            ["models"] = new JsonArray(infer.Select(r => (JsonNode)new JsonObject
            {
                ["model"] = r.Model, ["parameters"] = r.Parameters, ["batch1MedianMicros"] = Math.Round(r.LatencyMicrosMedian, 2),
                ["batch1P90Micros"] = Math.Round(r.LatencyMicrosP90, 2), ["batch256Millis"] = Math.Round(r.Batch256Millis, 3),
                ["batch256WindowsPerSecond"] = Math.Round(r.WindowsPerSecond),
            }).ToArray()),
            ["latencyRatio"] = Math.Round(ratio, 2),
            ["target"] = "≥ 5",
        };
        if (p1Best is not null)
        {
            results["p5"] = new JsonObject { ["peakRssGb"] = p1Best.MaxRssKb is { } kb ? Math.Round(kb / 1048576.0, 3) : null, ["targetGb"] = 1.5 };
        }
        results["profile"] = new JsonArray(profile.Select(p => (JsonNode)new JsonObject
        {
            ["model"] = p.Model, ["stepsPerPass"] = p.Steps, ["passSeconds"] = Math.Round(p.TrainerPassSeconds, 4),
            ["microsPerStep"] = new JsonObject(p.MicrosPerStep.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Math.Round(kv.Value, 1)))),
        }).ToArray());
        results["sameNumbers"] = new JsonArray(verify.Select(v => (JsonNode)new JsonObject
        {
            ["model"] = v.Model, ["passes"] = v.Passes, ["identicalToTheLastBit"] = v.Identical,
            ["oldLoopSecondsPerPass"] = Math.Round(v.SecondsBefore / v.Passes, 4), ["newLoopSecondsPerPass"] = Math.Round(v.SecondsAfter / v.Passes, 4),
            ["fusedSecondsPerPass"] = Math.Round(v.FusedSeconds / v.Passes, 4), ["fusedMaxRelativeLossDifference"] = Num(v.FusedMaxRelativeDifference),
        }).ToArray());
        results["scaling"] = new JsonObject
        {
            ["what"] = "fold 1 teacher + student jobs, batch 1, in process, one torch thread",
            ["passes"] = scalingPasses,
            ["runs"] = new JsonArray(scaling.Select(s => (JsonNode)new JsonObject
            {
                ["factor"] = s.Factor, ["windows"] = s.Windows, ["trainWindows"] = s.TrainWindows, ["features"] = s.Features,
                ["cpuSeconds"] = Math.Round(s.Cpu, 2), ["wallSeconds"] = Math.Round(s.Wall, 2),
            }).ToArray()),
            ["fittedExponentCpu"] = Math.Round(exponentCpu, 3),
            ["fittedExponentWall"] = Math.Round(exponentWall, 3),
        };
        results["durable"] = durable;
        results["growth"] = growth;
        results["failures"] = new JsonArray(failures.Select(f => (JsonNode)f).ToArray());
        Write(results, resultsPath, work, tiny);
        if (tiny)
        {
            // Tiny mode checks the machinery, not the machine: it fails when something did not run, or when the
            // numbers differ from the original loop's (deterministic on any machine); the targets are the full run's.
            Console.WriteLine(failures.Count == 0 ? "tiny: every step ran, same numbers" : "tiny FAILED: " + string.Join("; ", failures));
            return failures.Count == 0 ? 0 : 1;
        }
        Console.WriteLine(failures.Count == 0 ? "all targets met" : "missed: " + string.Join("; ", failures));
        return 0;
    }

    /// <summary>Only the durable scenarios (<c>--only durable</c>): merged into the existing results file, whose other
    /// figures (and their machine and date) stay as they were measured.</summary>
    private static int DurableOnly(Driver driver, JsonObject machine, string resultsPath, string work, bool tiny,
        IReadOnlyList<string> studyOptions, IReadOnlyList<string> fastOptions)
    {
        var failures = new List<string>();
        var results = !string.IsNullOrEmpty(resultsPath) && File.Exists(resultsPath)
            ? JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject()
            : new JsonObject { ["machine"] = machine.DeepClone(), ["tiny"] = tiny };
        var durable = DurableBench.Run(driver, Directory.GetCurrentDirectory(), studyOptions, fastOptions, tiny, failures);
        durable["machine"] = machine.DeepClone();
        durable["failures"] = new JsonArray(failures.Select(f => (JsonNode)f).ToArray());
        results["durable"] = durable;
        results.Remove("p4"); // the packing model it replaces
        Write(results, resultsPath, work, tiny);
        Console.WriteLine(failures.Count == 0 ? "durable: all targets met" : "durable missed: " + string.Join("; ", failures));
        return tiny && failures.Count > 0 ? 1 : 0;
    }

    /// <summary>Writes results.json and regenerates the READMEs' benchmark blocks from it (tiny: copies in the work folder).</summary>
    private static void Write(JsonObject results, string resultsPath, string work, bool tiny)
    {
        if (string.IsNullOrEmpty(resultsPath)) return;
        File.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"wrote {resultsPath}");
        foreach (var readme in new[] { "bench/README.md", "README.md" })
        {
            var target = tiny ? Path.Combine(work, Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(readme)))! + "-" + Path.GetFileName(readme)) : readme;
            if (tiny) File.Copy(readme, target, overwrite: true);
            Readme.Regenerate(results, target);
            Console.WriteLine($"regenerated {target}");
        }
    }

    private static Dictionary<string, double>? LoadP1(string from)
    {
        if (string.IsNullOrEmpty(from) || !File.Exists(from)) return null;
        var runs = JsonNode.Parse(File.ReadAllText(from))?["p1"]?["runs"]?.AsArray();
        var first = runs?.FirstOrDefault()?["meanTestVsTruth"];
        return first is null ? null : new Dictionary<string, double>
        {
            ["teacher"] = first["teacher"]!.GetValue<double>(), ["student"] = first["student"]!.GetValue<double>(), ["fnn"] = first["fnn"]!.GetValue<double>(),
        };
    }

    private static void Row(Driver.CliRun r) =>
        Console.WriteLine($"  {r.RunId}: process wall {r.ProcessWall,6:F1} s, orchestration wall {r.Wall,6:F1} s, prepare {r.Timing("prepare"),5:F1} s, " +
                          $"teacher jobs {r.Timing("teacherJobs"),6:F1} s, student {r.Timing("studentJobs"),6:F1} s, fnn {r.Timing("fnnJobs"),6:F1} s, " +
                          $"peak RSS {Gb(r.MaxRssKb)}, load {r.Load.Before:F1}→{r.Load.After:F1}");

    private static JsonObject RunJson(Driver.CliRun r) => new()
    {
        ["runId"] = r.RunId,
        ["processWall"] = Math.Round(r.ProcessWall, 2),
        ["timings"] = r.Results["timings"]?.DeepClone(),
        ["peakRssKb"] = r.MaxRssKb,
        ["loadAverage1mBeforeAfter"] = new JsonArray(Num(r.Load.Before), Num(r.Load.After)),
        ["meanTestVsTruth"] = new JsonObject
        {
            ["teacher"] = Num(r.MeanTest("teacher")), ["student"] = Num(r.StudentVsTruth), ["fnn"] = Num(r.MeanTest("fnn")),
        },
        ["summary"] = r.Results["summary"]?.DeepClone(),
        ["jobs"] = new JsonArray(r.Jobs.OrderBy(j => j.Kind).ThenBy(j => j.Fold)
            .Select(j => (JsonNode)new JsonObject { ["kind"] = j.Kind, ["fold"] = j.Fold, ["seconds"] = Math.Round(j.Seconds, 2) }).ToArray()),
    };

    private static JsonNode? Num(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 6)) : null;

    private static string Gb(long? kb) => kb is { } k ? $"{k / 1048576.0:F2} GB" : "n/a";
}
