using System.Diagnostics;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;
using Distillery.Storage.Blobs;

namespace Distillery.Bench;

/// <summary>
/// The run's jobs without a durable host (<c>distillery-bench loop</c>): the experiment steps called directly, in the
/// orchestrator's order and parallelism — prepare; teachers, then FNNs, queued at once; the students once every
/// teacher is done; summarize. The yardstick the durable runs' overhead is measured against.
/// </summary>
public static class Loop
{
    /// <param name="settingsFrom">A run whose stored settings.json this one repeats (same store).</param>
    public static async Task<int> RunAsync(string settingsFrom, string runId, string outDir, string? connection, int parallel)
    {
        IArtifactStore store = connection is null ? new LocalDirectoryStore(outDir) : await BlobStoreAsync(connection);
        var settings = await RunSettings.LoadAsync(store, settingsFrom)
                       ?? throw new InvalidOperationException($"no settings of run {settingsFrom} in {store.Describe()}");
        if (!await RunSettings.StoreAsync(store, runId, settings)) throw new InvalidOperationException($"run {runId} already exists");
        TorchSharp.torch.set_num_threads(settings.Threads);
        var steps = new ExperimentSteps(store, new DataSourceOptions());
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var parts = ExperimentPart.Of(settings);
        var sweep = settings.StudentHidden.Distinct().Skip(1).ToArray();
        var prepared = await Task.WhenAll(parts.Select(p => steps.Prepare.RunAsync(new PrepareRequest(runId, p.SettingsFrom(settings), p.Key))));

        // FIFO: SemaphoreSlim serves its async waiters in the order they queued, as the work-item queue does.
        using var gate = new SemaphoreSlim(parallel);
        async Task<TrainedModel> Job(Func<Task<TrainedModel>> train)
        {
            await gate.WaitAsync();
            try { return await Task.Run(train); }
            finally { gate.Release(); }
        }
        var pairs = parts.Zip(prepared).ToList();
        var teacherJobs = pairs.SelectMany(p => Enumerable.Range(1, p.Second.Folds).Select(fold => Job(() => steps.TrainTeacher.RunAsync(
            new TrainRequest(runId, p.First.SettingsFrom(settings), ModelKind.Teacher, fold, Part: p.First.Key))))).ToList();
        var fnnJobs = pairs.SelectMany(p => Enumerable.Range(1, p.Second.Folds).Select(fold => Job(() => steps.TrainStudent.RunAsync(
            new TrainRequest(runId, p.First.SettingsFrom(settings), ModelKind.Fnn, fold, Part: p.First.Key))))).ToList();
        var teachers = await Task.WhenAll(teacherJobs);
        var best = parts.ToDictionary(p => p.Key, p => p.Protocol.TeacherPerFold
            ? 0
            : TeacherSelection.Best(teachers.Where(t => t.Part == p.Key).Select(t => (t.Fold, t.FinalTrain, t.FinalTest))));
        var studentJobs = pairs.SelectMany(p => Enumerable.Range(1, p.Second.Folds).SelectMany(fold =>
        {
            var partSettings = p.First.SettingsFrom(settings);
            var teacherFold = best[p.First.Key] > 0 ? best[p.First.Key] : fold;
            return new int?[] { null }.Concat(sweep.Select(h => (int?)h)).Select(hidden => Job(() => steps.TrainStudent.RunAsync(
                new TrainRequest(runId, partSettings, ModelKind.Student, fold, teacherFold, p.First.Key, hidden))));
        })).ToList();
        var students = await Task.WhenAll(studentJobs.Concat(fnnJobs));
        var finished = DateTime.UtcNow;
        var summaries = await Task.WhenAll(pairs.Select(p => steps.Summarize.RunAsync(new SummarizeRequest(runId, p.First.SettingsFrom(settings),
            p.Second, teachers.Where(t => t.Part == p.First.Key).ToList(), best[p.First.Key],
            students.Where(s => s.Part == p.First.Key).ToList(), started, finished, p.First.Key))));
        if (summaries.Length > 1) await steps.Combine.RunAsync(new CombineRequest(runId, settings, parts.Select(p => p.Key).ToList()));
        Console.WriteLine($"loop {runId}: {clock.Elapsed.TotalSeconds:F1} s, {teachers.Length + students.Length} jobs, {parallel} at once, {store.Describe()}");
        return 0;
    }

    public static async Task<BlobArtifactStore> BlobStoreAsync(string connection)
    {
        var store = BlobArtifactStore.FromConnectionString(connection, "distillery");
        await store.EnsureContainerAsync();
        return store;
    }
}
