using System.Diagnostics;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Retraining;
using Distillery.Serving;
using Distillery.Storage;

namespace Distillery.Bench;

/// <summary>Issue #5's figures: predict latency per request (warm, batch 1) and a champion/challenger scenario.</summary>
public static class Serving
{
    /// <summary>Median and p90 of one Predict call (the last 10 raw rows in, a 14-day forecast out), student vs teacher.</summary>
    public static void Latency(string runDir, string data, int calls)
    {
        var full = Path.GetFullPath(runDir.TrimEnd('/'));
        var store = new LocalDirectoryStore(Path.GetDirectoryName(Path.GetDirectoryName(full))!);
        var runId = Path.GetFileName(full);
        using var csv = File.OpenRead(data);
        var rows = Forecaster.RowsFromCsv(csv, 256L << 20);
        Console.WriteLine($"predict latency per request, run {runId}, {rows.Count} rows given (the last inputDays used), {calls} timed calls after 50 warm-up:");
        var medians = new Dictionary<ModelKind, double>();
        foreach (var kind in new[] { ModelKind.Student, ModelKind.Teacher })
        {
            using var forecaster = Forecaster.LoadAsync(store, runId, kind, default).GetAwaiter().GetResult();
            for (var i = 0; i < 50; i++) forecaster.Predict(rows);
            var micro = new double[calls];
            for (var i = 0; i < calls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                forecaster.Predict(rows);
                micro[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            Array.Sort(micro);
            medians[kind] = micro[calls / 2];
            Console.WriteLine($"  {kind.Name(),-8} fold {forecaster.Fold}: median {micro[calls / 2]:F0} µs, p90 {micro[calls * 9 / 10]:F0} µs");
        }
        Console.WriteLine($"  student is {medians[ModelKind.Teacher] / medians[ModelKind.Student]:F1}× faster per request");
    }

    /// <summary>Three retraining runs of a location on growing data, each decided against the champion.</summary>
    public static void Decisions(string data, int epochs, double tolerance)
    {
        var root = Directory.CreateTempSubdirectory("distillery-decisions-").FullName;
        try
        {
            var store = new LocalDirectoryStore(root);
            var steps = new ExperimentSteps(store, new DataSourceOptions());
            var registry = new ChampionRegistry(store);
            var lines = File.ReadAllLines(data);
            var day = new DateTime(2021, 2, 8, 3, 0, 0, DateTimeKind.Utc);
            foreach (var drop in new[] { 60, 30, 0 })
            {
                var content = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', lines.Take(lines.Length - drop)) + "\n");
                var fingerprint = Fingerprints.Of(content);
                var path = $"datasets/US_FL/{fingerprint[..16]}.csv";
                store.WriteAsync(path, content).GetAwaiter().GetResult();
                var runId = $"US_FL-{fingerprint[..12]}";
                var settings = new ExperimentSettings { Data = "blob:" + path, Folds = 5, Epochs = epochs };
                RunSteps(steps, runId, settings);
                var d = registry.DecideAsync("US_FL", runId, fingerprint, path, tolerance, day).GetAwaiter().GetResult();
                Console.WriteLine($"{d.DecidedUtc:yyyy-MM-dd} {d.RunId} ({lines.Length - 1 - drop} rows): {d.Outcome,-10} test MSE {d.StudentTestMse:G4}" +
                                  $"{(d.ChampionTestMse is { } c ? $" vs champion {c:G4}" : "")} — {d.Reason}");
                day = day.AddDays(1);
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    private static void RunSteps(ExperimentSteps steps, string runId, ExperimentSettings settings)
    {
        var started = DateTime.UtcNow;
        var dataset = steps.Prepare.RunAsync(new PrepareRequest(runId, settings)).GetAwaiter().GetResult();
        var teachers = Enumerable.Range(1, dataset.Folds)
            .Select(f => steps.TrainTeacher.RunAsync(new TrainRequest(runId, settings, ModelKind.Teacher, f)).GetAwaiter().GetResult()).ToList();
        var best = TeacherSelection.Best(teachers.Select(t => (t.Fold, t.FinalTrain, t.FinalTest)));
        var students = Enumerable.Range(1, dataset.Folds).SelectMany(f => new[]
        {
            steps.TrainStudent.RunAsync(new TrainRequest(runId, settings, ModelKind.Student, f, best)).GetAwaiter().GetResult(),
            steps.TrainStudent.RunAsync(new TrainRequest(runId, settings, ModelKind.Fnn, f)).GetAwaiter().GetResult(),
        }).ToList();
        steps.Summarize.RunAsync(new SummarizeRequest(runId, settings, dataset, teachers, best, students, started, DateTime.UtcNow))
            .GetAwaiter().GetResult();
    }
}
