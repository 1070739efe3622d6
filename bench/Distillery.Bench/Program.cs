using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distillery.Bench;
using Distillery.Data;
using Distillery.Experiments;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var argv = args.ToList();
string Arg(string name, string fallback)
{
    var i = argv.IndexOf(name);
    return i >= 0 && i + 1 < argv.Count ? argv[i + 1] : fallback;
}
bool Flag(string name) => argv.Contains(name);
var command = argv.FirstOrDefault() ?? "help";
try
{
    switch (command)
    {
        case "profile":
        {
            using var fx = Fixture.Load(Arg("--data", DefaultData.Path));
            Profile.Print(Profile.Run(fx, int.Parse(Arg("--reps", "3")), Arg("--models", "teacher,student")));
            return 0;
        }
        case "minibatch":
        {
            using var fx = Fixture.Load(Arg("--data", DefaultData.Path));
            MiniBatchProfile.Run(fx, int.Parse(Arg("--passes", "10")), int.Parse(Arg("--batch-size", "32")));
            return 0;
        }
        case "infer":
        {
            using var fx = Fixture.Load(Arg("--data", DefaultData.Path));
            Inference.Print(Inference.Run(fx.Shape, int.Parse(Arg("--iterations", "2000"))));
            return 0;
        }
        case "serve":
            Serving.Latency(Arg("--run", ""), Arg("--data", DefaultData.Path), int.Parse(Arg("--calls", "500")));
            return 0;
        case "decisions":
            Serving.Decisions(Arg("--data", DefaultData.Path), int.Parse(Arg("--epochs", "10")), double.Parse(Arg("--tolerance", "0.05")));
            return 0;
        case "kernelcheck":
            KernelCheck.Run();
            return 0;
        case "synth":
        {
            var path = Arg("--out", "synthetic.csv");
            SyntheticData.WriteFile(path, int.Parse(Arg("--rows", "405")), int.Parse(Arg("--seed", "1")));
            var clean = StudyCleaning.Clean(DataSource.LoadFile(path), ExperimentSettings.DefaultTarget);
            Console.WriteLine($"{path}: {clean.Rows} rows, {clean.Features.Count} features after the study's cleaning");
            return 0;
        }
        case "all":
            return Suite.Run(Arg("--cli", ""), Arg("--work", Path.Combine(Path.GetTempPath(), "distillery-bench")),
                Arg("--results", ""), Flag("--tiny"), int.Parse(Arg("--p1-reps", "1")), int.Parse(Arg("--p2-reps", "3")),
                Flag("--skip-p1"), Arg("--p1-from", ""), Arg("--only", "") == "durable");
        case "sidebyside":
        {
            // The study's code and distillery run, one after the other (bench/run.sh --only side-by-side | --parity).
            var resultsPath = Arg("--results", "bench/results.json");
            var driver = new Driver(Arg("--cli", ""), Arg("--work", Path.Combine(Path.GetTempPath(), "distillery-bench")));
            var failures = new List<string>();
            var seeds = Arg("--seeds", "0").Split(',').Select(int.Parse).ToList();
            var section = SideBySide.Run(driver, Directory.GetCurrentDirectory(), Arg("--python", "/usr/bin/python3"),
                Arg("--reference", "../shared/reference/study_reference.py"), Arg("--data", DefaultData.Path), seeds,
                Arg("--reference-threads", "1,2").Split(',').Select(int.Parse).ToList(), withBackends: seeds.Count == 1, failures);
            section["machine"] = Driver.Machine();
            section["failures"] = new JsonArray(failures.Select(f => (JsonNode)f).ToArray());
            var results = File.Exists(resultsPath) ? JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject() : new JsonObject();
            results[seeds.Count == 1 ? "sideBySide" : "parity"] = section;
            File.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            foreach (var readme in new[] { "bench/README.md", "README.md" }) Readme.Regenerate(results, readme);
            Console.WriteLine(failures.Count == 0 ? "side by side: all targets met" : "side by side missed: " + string.Join("; ", failures));
            return 0;
        }
        case "growth":
        {
            // Cost as work grows (bench/run.sh --only growth), merged into the results file.
            var resultsPath = Arg("--results", "bench/results.json");
            var driver = new Driver(Arg("--cli", ""), Arg("--work", Path.Combine(Path.GetTempPath(), "distillery-bench")));
            var section = Growth.Run(driver, Directory.GetCurrentDirectory(), Flag("--tiny") ? 40 : 381, Flag("--tiny"));
            section["machine"] = Driver.Machine();
            var results = File.Exists(resultsPath) ? JsonNode.Parse(File.ReadAllText(resultsPath))!.AsObject() : new JsonObject();
            results["growth"] = section;
            File.WriteAllText(resultsPath, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            if (!Flag("--tiny")) foreach (var readme in new[] { "bench/README.md", "README.md" }) Readme.Regenerate(results, readme);
            return 0;
        }
        case "loop":
            return await Loop.RunAsync(Arg("--from", ""), Arg("--run-id", ""), Arg("--out", "."), argv.Contains("--connection") ? Arg("--connection", "") : null,
                int.Parse(Arg("--parallel", $"{Environment.ProcessorCount}")));
        case "readme":
        {
            var results = JsonNode.Parse(File.ReadAllText(Arg("--results", "bench/results.json")))!.AsObject();
            foreach (var readme in new[] { "bench/README.md", "README.md" }) Readme.Regenerate(results, readme);
            return 0;
        }
        default:
            Console.Error.WriteLine("""
                usage: distillery-bench all --cli PATH/distillery.dll [--tiny] [--results bench/results.json] [--work DIR]
                                            [--p1-reps N] [--p2-reps N] [--skip-p1] [--only durable]
                       distillery-bench sidebyside --cli PATH [--results F] [--seeds 0 | 0,1,2] [--reference-threads 1,2] [--python /usr/bin/python3]
                                            [--reference ../shared/reference/study_reference.py]  the study's code vs distillery run
                       distillery-bench growth --cli PATH [--results F] [--tiny]  cost as windows and locations grow, one process and two workers
                       distillery-bench loop --from RUNID --run-id ID [--out DIR | --connection C] [--parallel N]  a run's jobs, no durable host
                       distillery-bench readme [--results bench/results.json]  regenerate the READMEs' benchmark blocks
                       distillery-bench minibatch [--data CSV] [--passes N] [--batch-size 32]  a mini-batch pass per phase, fused vs libtorch
                       distillery-bench profile [--data CSV] [--reps N] [--models teacher,student]  per-phase cost of a batch-1 pass
                       distillery-bench infer [--data CSV] [--iterations N] P3 only
                       distillery-bench serve --run runs/ID [--data CSV] [--calls N]  predict latency per request (#5)
                       distillery-bench decisions [--epochs N] [--tolerance T]  a champion/challenger scenario (#5)
                       distillery-bench kernelcheck                         libtorch's Adam/sqrt float semantics
                       distillery-bench synth --rows N --seed S --out FILE  synthetic data with US_FL's header
                """);
            return 2;
    }
}
catch (Exception e)
{
    Console.Error.WriteLine($"[bench] FAILED: {e.Message}");
    return 1;
}
