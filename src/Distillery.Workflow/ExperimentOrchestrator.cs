using Distillery.Experiments;
using Distillery.Models;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Distillery.Workflow;

public sealed record ExperimentRequest(string RunId, ExperimentSettings Settings);

/// <summary>What <c>GET /api/experiments/{id}</c> and the CLI show while a run goes on (the custom status).</summary>
public sealed record ExperimentProgress(string Phase, int FoldsDone, int FoldsTotal, int JobsDone, int JobsTotal,
    IReadOnlyList<FinalLoss> Latest);

public sealed record FinalLoss(string Model, int Fold, double Train, double Test, string Part = "");

/// <summary>
/// prepare → one teacher per fold (fan out) → select the teacher (here, deterministically) → distilled student(s) and
/// FNN per fold (fan out) → summarize, for every experiment of the run (each data source × protocol) at once, then
/// one combined report when there are several. Replay-safe: no clock, random or I/O of its own; everything comes
/// from the context or the activities.
/// </summary>
public sealed class ExperimentOrchestrator : TaskOrchestrator<ExperimentRequest, RunSummary>
{
    public override async Task<RunSummary> RunAsync(TaskOrchestrationContext context, ExperimentRequest request)
    {
        var log = context.CreateReplaySafeLogger<ExperimentOrchestrator>();
        var started = context.CurrentUtcDateTime;
        var settings = request.Settings;
        var options = ActivityRetry.Options;
        var parts = ExperimentPart.Of(settings);
        var sweep = settings.StudentHidden.Distinct().Skip(1).ToArray();
        var jobsPerFold = ModelKinds.All.Count + sweep.Length;
        try
        {
            context.SetCustomStatus(new ExperimentProgress("prepare", 0, settings.Folds, 0, Total(parts.Count * settings.Folds), []));
            var prepared = await Task.WhenAll(parts.Select(part => context.CallActivityAsync<PreparedDataset>(nameof(PrepareDatasetActivity),
                new PrepareRequest(request.RunId, part.SettingsFrom(settings), part.Key), options)));
            foreach (var d in prepared)
                log.LogInformation("Run {RunId} {Part}: {Windows} windows, {Features} features, {Folds} folds", request.RunId, d.Part,
                    d.Windows, d.Features, d.Folds);

            var folds = prepared.Sum(d => d.Folds);
            var tracker = new ProgressTracker(context, folds, Total(folds));
            tracker.Phase("teachers");
            var teacherJobs = parts.Zip(prepared).SelectMany(p => Enumerable.Range(1, p.Second.Folds).Select(fold =>
                context.CallActivityAsync<TrainedModel>(nameof(TrainTeacherActivity),
                    new TrainRequest(request.RunId, p.First.SettingsFrom(settings), ModelKind.Teacher, fold, Part: p.First.Key), options))).ToList();
            // Models trained on the truth need no teacher (the FNN): they train alongside the teachers (scheduled after
            // them, so the teachers go first).
            var truthKinds = ModelKinds.All.Where(k => k != ModelKind.Teacher && !k.LearnsFromTeacher()).ToArray();
            var fnnJobs = parts.Zip(prepared).SelectMany(p => Enumerable.Range(1, p.Second.Folds).SelectMany(fold => truthKinds.Select(kind =>
                context.CallActivityAsync<TrainedModel>(nameof(TrainStudentActivity),
                    new TrainRequest(request.RunId, p.First.SettingsFrom(settings), kind, fold, Part: p.First.Key), options)))).ToList();
            var teachers = await tracker.WhenAll(teacherJobs, alsoCounting: fnnJobs);

            // The study distils every fold's student from its one best teacher; leakage-free uses each fold's own.
            var best = parts.ToDictionary(p => p.Key, p => p.Protocol.TeacherPerFold
                ? 0
                : TeacherSelection.Best(teachers.Where(t => t.Part == p.Key).Select(t => (t.Fold, t.FinalTrain, t.FinalTest))));
            foreach (var (part, fold) in best.Where(b => b.Value > 0))
                log.LogInformation("Run {RunId} {Part}: best teacher is fold {Fold}", request.RunId, part, fold);

            tracker.Phase("students");
            var distilledKinds = ModelKinds.All.Where(k => k.LearnsFromTeacher()).ToArray();
            var studentJobs = parts.Zip(prepared).SelectMany(p => Enumerable.Range(1, p.Second.Folds).SelectMany(fold =>
            {
                var partSettings = p.First.SettingsFrom(settings);
                var teacherFold = best[p.First.Key] > 0 ? best[p.First.Key] : fold;
                return distilledKinds.SelectMany(kind => new int?[] { null }.Concat(sweep.Select(h => (int?)h))
                    .Select(hidden => context.CallActivityAsync<TrainedModel>(nameof(TrainStudentActivity),
                        new TrainRequest(request.RunId, partSettings, kind, fold, teacherFold, p.First.Key, hidden), options)));
            })).ToList();
            var students = await tracker.WhenAll(studentJobs.Concat(fnnJobs).ToList());

            tracker.Phase("summarize");
            var finished = context.CurrentUtcDateTime;
            var summaries = await Task.WhenAll(parts.Zip(prepared).Select(p => context.CallActivityAsync<RunSummary>(nameof(SummarizeActivity),
                new SummarizeRequest(request.RunId, p.First.SettingsFrom(settings), p.Second,
                    teachers.Where(t => t.Part == p.First.Key).ToList(), best[p.First.Key],
                    students.Where(s => s.Part == p.First.Key).ToList(), started, finished, p.First.Key), options)));
            var summary = summaries.Length == 1
                ? summaries[0]
                : await context.CallActivityAsync<RunSummary>(nameof(CombineActivity),
                    new CombineRequest(request.RunId, settings, parts.Select(p => p.Key).ToList()), options);
            tracker.Phase("completed");
            return summary;
        }
        catch (TaskFailedException failed) when (failed.FailureDetails.IsCausedBy<InvalidInputException>())
        {
            // Bad data or settings: fail the run with the activity's own message, not a stack of wrappers.
            throw new InvalidInputException(failed.FailureDetails.ErrorMessage);
        }

        // prepare + every training job + summarize
        int Total(int folds) => 1 + jobsPerFold * folds + 1;
    }

    /// <summary>Counts finished jobs into the custom status as they complete, in completion order.</summary>
    private sealed class ProgressTracker(TaskOrchestrationContext context, int folds, int jobsTotal)
    {
        private string phase = "";
        private int jobsDone = 1; // prepare
        private readonly Dictionary<string, HashSet<string>> foldsDone = [];
        private readonly List<FinalLoss> latest = [];

        public void Phase(string name)
        {
            phase = name;
            Publish();
        }

        private readonly HashSet<Task<TrainedModel>> counted = [];

        /// <summary>Waits for <paramref name="jobs"/>, counting every job that finishes meanwhile, also those of
        /// <paramref name="alsoCounting"/> (which may still run on after this returns).</summary>
        public async Task<TrainedModel[]> WhenAll(IReadOnlyList<Task<TrainedModel>> jobs, IReadOnlyList<Task<TrainedModel>>? alsoCounting = null)
        {
            var pending = jobs.Concat(alsoCounting ?? []).Where(t => !counted.Contains(t)).ToList();
            while (jobs.Any(j => !counted.Contains(j)))
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                counted.Add(done);
                var model = await done;
                jobsDone++;
                (foldsDone.TryGetValue(phase, out var set) ? set : foldsDone[phase] = []).Add($"{model.Part}/{model.Fold}");
                latest.Add(new FinalLoss(model.Name, model.Fold, model.FinalTrain, model.FinalTest, model.Part));
                if (latest.Count > 10) latest.RemoveAt(0);
                Publish();
            }
            return await Task.WhenAll(jobs);
        }

        private void Publish()
        {
            var foldsFinished = foldsDone.TryGetValue(phase, out var set) ? set.Count : 0;
            context.SetCustomStatus(new ExperimentProgress(phase, foldsFinished, folds, jobsDone, jobsTotal, latest.ToArray()));
        }
    }
}

