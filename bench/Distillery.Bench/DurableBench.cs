using System.Globalization;
using System.Text.Json.Nodes;

namespace Distillery.Bench;

/// <summary>
/// The durable backends, measured: (1) orchestration overhead = process wall of <c>distillery run</c> − process wall
/// of the same jobs run by the plain loop (<see cref="Loop"/>, same order and parallelism, no durable host), in memory
/// and on Azure Storage (Azurite, started and stopped here), for the study run and the fast preset; (2) scale-out:
/// the fast preset by one process × 1 job at a time against two (the run plus one <c>distillery worker</c>, each
/// --parallel 1) on one task hub.
/// </summary>
public static class DurableBench
{
    public const double TargetInMemoryPercent = 5, TargetAzurePercent = 10, TargetSpeedUp = 1.8;

    public static JsonObject Run(Driver driver, string repositoryRoot, IReadOnlyList<string> studyOptions, IReadOnlyList<string> fastOptions,
        bool tiny, List<string> failures)
    {
        var parallel = Environment.ProcessorCount;
        var p = parallel.ToString(CultureInfo.InvariantCulture);
        using var azurite = Azurite.Start(repositoryRoot);
        var hubs = 0;
        // A fresh task hub per run: each run creates its hub and leases its partitions, as a first run does.
        string Hub() => $"bench{DateTime.UtcNow:HHmmss}n{++hubs}";

        var overhead = new JsonArray();
        // Tiny (CI): one preset is enough to run every code path.
        var presets = tiny ? new[] { ("study", studyOptions) } : new[] { ("fast", fastOptions), ("study", studyOptions) };
        foreach (var (preset, options) in presets)
            foreach (var backend in new[] { "inMemory", "azureStorage" })
            {
                var connection = backend == "azureStorage" ? azurite.ConnectionString : null;
                var durable = driver.RunCli($"{preset}-{backend}", [.. options, "--parallel", p], connection, connection is null ? null : Hub());
                var loop = driver.RunLoop($"{preset}-{backend}-loop", durable.RunId, parallel, connection);
                var seconds = durable.ProcessWall - loop.ProcessWall;
                var percent = 100 * seconds / loop.ProcessWall;
                var outside = OutsideJobs(durable.ProcessWall, durable.JobSeconds, loop.ProcessWall, loop.JobSeconds, parallel);
                var outsidePercent = 100 * outside / loop.ProcessWall;
                var same = durable.Results["summary"]!.ToJsonString() == loop.Results["summary"]!.ToJsonString();
                var target = backend == "inMemory" ? TargetInMemoryPercent : TargetAzurePercent;
                Console.WriteLine($"durable overhead, {preset}, {backend}: run {durable.ProcessWall:F1} s − loop {loop.ProcessWall:F1} s = {seconds:F1} s " +
                                  $"= {percent:F1} % of the loop; job seconds {durable.JobSeconds:F1} vs {loop.JobSeconds:F1}; outside the jobs {outside:F1} s = " +
                                  $"{outsidePercent:F1} % (target ≤ {target} % for the study run); " +
                                  $"same results: {same}; load {durable.Load.Before:F1}→{loop.Load.After:F1}");
                if (!same) failures.Add($"{preset} {backend}: the durable run's results differ from the plain loop's");
                if (!tiny && preset == "study" && outsidePercent > target) failures.Add($"durable overhead {backend} {outsidePercent:F1} % > {target} %");
                overhead.Add(new JsonObject
                {
                    ["preset"] = preset, ["backend"] = backend, ["parallel"] = parallel,
                    ["durableRunId"] = durable.RunId, ["loopRunId"] = loop.RunId,
                    ["durableProcessWall"] = R(durable.ProcessWall), ["loopProcessWall"] = R(loop.ProcessWall),
                    ["overheadSeconds"] = R(seconds), ["overheadPercentOfLoop"] = R(percent),
                    ["outsideJobsSeconds"] = R(outside), ["outsideJobsPercentOfLoop"] = R(outsidePercent),
                    ["durableOrchestrationWall"] = R(durable.Wall), ["loopOrchestrationWall"] = R(loop.Wall),
                    ["durableJobSeconds"] = R(durable.JobSeconds), ["loopJobSeconds"] = R(loop.JobSeconds),
                    ["durablePeakRssKb"] = durable.MaxRssKb, ["loopPeakRssKb"] = loop.MaxRssKb,
                    ["loadAverage1m"] = new JsonArray(R(durable.Load.Before), R(durable.Load.After), R(loop.Load.Before), R(loop.Load.After)),
                    ["sameResults"] = same, ["targetPercent"] = preset == "study" ? target : null,
                });
            }

        // Scale-out: the same fast run, one process × 1 job at a time, then the run plus one worker (joined first,
        // as an always-ready instance is), each × 1.
        var one = driver.RunCli("scale-1", [.. fastOptions, "--parallel", "1"], azurite.ConnectionString, Hub());
        var hub = Hub();
        var worker = driver.StartWorker(azurite.ConnectionString, hub, 1);
        Driver.CliRun two;
        try { two = driver.RunCli("scale-2", [.. fastOptions, "--parallel", "1"], azurite.ConnectionString, hub); }
        finally { Driver.StopWorker(worker); }
        var workers = two.Jobs.GroupBy(j => j.Worker).ToDictionary(g => g.Key, g => g.Count());
        var speedUp = one.ProcessWall / two.ProcessWall;
        var speedUpOrchestration = one.Wall / two.Wall;
        var sameScale = one.Results["summary"]!.ToJsonString() == two.Results["summary"]!.ToJsonString();
        Console.WriteLine($"scale-out (fast preset, Azure Storage on Azurite): 1 process × 1: {one.ProcessWall:F1} s (orchestration {one.Wall:F1} s); " +
                          $"run + 1 worker, × 1 each: {two.ProcessWall:F1} s (orchestration {two.Wall:F1} s) → speed-up {speedUp:F2}× " +
                          $"(orchestration {speedUpOrchestration:F2}×; target ≥ {TargetSpeedUp}×); jobs per process: {string.Join(", ", workers.Values)}; same results: {sameScale}");
        if (!sameScale) failures.Add("scale-out: the two-process run's results differ from the one-process run's");
        // Which process takes which job is up to the queue: on tiny data one may take them all.
        if (!tiny && workers.Count < 2) failures.Add($"scale-out: only {workers.Count} process ran jobs");
        if (!tiny && speedUp < TargetSpeedUp) failures.Add($"scale-out speed-up {speedUp:F2}× < {TargetSpeedUp}×");

        return new JsonObject
        {
            ["overhead"] = overhead,
            ["overheadDefinition"] = "process wall of `distillery run` − process wall of the plain loop (bench Loop.cs: the experiment steps " +
                                     "called directly in the orchestrator's order, SemaphoreSlim(parallel)) on the same settings and store; percent of the loop's wall. " +
                                     "outsideJobs: the same with each side's job seconds / parallel subtracted (the time outside the training jobs), the target's measure",
            ["scaleOut"] = new JsonObject
            {
                ["preset"] = "fast", ["backend"] = "azureStorage",
                ["one"] = new JsonObject { ["runId"] = one.RunId, ["processWall"] = R(one.ProcessWall), ["orchestrationWall"] = R(one.Wall), ["jobSeconds"] = R(one.JobSeconds) },
                ["two"] = new JsonObject
                {
                    ["runId"] = two.RunId, ["processWall"] = R(two.ProcessWall), ["orchestrationWall"] = R(two.Wall), ["jobSeconds"] = R(two.JobSeconds),
                    ["jobsPerWorker"] = new JsonArray(workers.Values.Select(v => (JsonNode)v).ToArray()),
                },
                ["speedUp"] = R(speedUp), ["speedUpOrchestration"] = R(speedUpOrchestration), ["target"] = TargetSpeedUp, ["sameResults"] = sameScale,
                ["what"] = "one: `distillery run --parallel 1`; two: the same plus one `distillery worker --parallel 1` that joined the hub before the run; " +
                           "speed-up of the run command's process wall (orchestrationWall: results.json timings.wall)",
            },
        };
    }

    /// <summary>
    /// The overhead with the jobs' own time taken out: (run wall − its job seconds / parallel) − (the loop's likewise).
    /// On a machine other processes load, the same job takes longer in one run than in the other and the plain
    /// difference measures that; this measures the time outside the training jobs (start-up, dispatch, prepare,
    /// summarize, idle slots), which is where an orchestration's cost is.
    /// </summary>
    public static double OutsideJobs(double runWall, double runJobSeconds, double loopWall, double loopJobSeconds, int parallel) =>
        runWall - runJobSeconds / parallel - (loopWall - loopJobSeconds / parallel);

    private static JsonNode? R(double x) => double.IsFinite(x) ? JsonValue.Create(Math.Round(x, 2)) : null;
}
