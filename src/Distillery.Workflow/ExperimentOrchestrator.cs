using Distillery.Experiments;
using Distillery.Models;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Distillery.Workflow;

public sealed record ExperimentRequest(string RunId, ExperimentSettings Settings);

/// <summary>What <c>GET /api/experiments/{id}</c> and the CLI show while a run goes on (the custom status).</summary>
public sealed record ExperimentProgress(string Phase, int FoldsDone, int FoldsTotal, int JobsDone, int JobsTotal,
    IReadOnlyList<FinalLoss> Latest);

public sealed record FinalLoss(string Model, int Fold, double Train, double Test);

/// <summary>
/// prepare → one teacher per fold (fan out) → select the teacher (here, deterministically) → distilled student and
/// FNN per fold (fan out) → summarize. Replay-safe: no clock, random or I/O of its own; everything comes from the
/// context or the activities.
/// </summary>
public sealed class ExperimentOrchestrator : TaskOrchestrator<ExperimentRequest, RunSummary>
{
    public override async Task<RunSummary> RunAsync(TaskOrchestrationContext context, ExperimentRequest request)
    {
        var log = context.CreateReplaySafeLogger<ExperimentOrchestrator>();
        var started = context.CurrentUtcDateTime;
        var settings = request.Settings;
        var options = ActivityRetry.Options;
        try
        {
            context.SetCustomStatus(new ExperimentProgress("prepare", 0, settings.Folds, 0, 2 + 3 * settings.Folds, []));
            var dataset = await context.CallActivityAsync<PreparedDataset>(nameof(PrepareDatasetActivity),
                new PrepareRequest(request.RunId, settings), options);
            log.LogInformation("Run {RunId}: {Windows} windows, {Features} features, {Folds} folds", request.RunId,
                dataset.Windows, dataset.Features, dataset.Folds);

            var tracker = new ProgressTracker(context, dataset.Folds);
            tracker.Phase("teachers");
            var teachers = await tracker.WhenAll(Enumerable.Range(1, dataset.Folds).Select(fold =>
                context.CallActivityAsync<TrainedModel>(nameof(TrainTeacherActivity),
                    new TrainRequest(request.RunId, settings, ModelKind.Teacher, fold), options)));

            var best = TeacherSelection.Best(teachers.Select(t => (t.Fold, t.FinalTrain, t.FinalTest)));
            log.LogInformation("Run {RunId}: best teacher is fold {Fold}", request.RunId, best);

            tracker.Phase("students");
            var students = await tracker.WhenAll(Enumerable.Range(1, dataset.Folds).SelectMany(fold => new[]
            {
                context.CallActivityAsync<TrainedModel>(nameof(TrainStudentActivity),
                    new TrainRequest(request.RunId, settings, ModelKind.Student, fold, best), options),
                context.CallActivityAsync<TrainedModel>(nameof(TrainStudentActivity),
                    new TrainRequest(request.RunId, settings, ModelKind.Fnn, fold), options),
            }));

            tracker.Phase("summarize");
            var summary = await context.CallActivityAsync<RunSummary>(nameof(SummarizeActivity),
                new SummarizeRequest(request.RunId, settings, dataset, teachers, best, students, started, context.CurrentUtcDateTime), options);
            tracker.Phase("completed");
            return summary;
        }
        catch (TaskFailedException failed) when (failed.FailureDetails.IsCausedBy<InvalidInputException>())
        {
            // Bad data or settings: fail the run with the activity's own message, not a stack of wrappers.
            throw new InvalidInputException(failed.FailureDetails.ErrorMessage);
        }
    }

    /// <summary>Counts finished jobs into the custom status as they complete, in completion order.</summary>
    private sealed class ProgressTracker(TaskOrchestrationContext context, int folds)
    {
        private string phase = "";
        private int jobsDone = 1; // prepare
        private readonly Dictionary<string, HashSet<int>> foldsDone = [];
        private readonly List<FinalLoss> latest = [];

        public void Phase(string name)
        {
            phase = name;
            Publish();
        }

        public async Task<TrainedModel[]> WhenAll(IEnumerable<Task<TrainedModel>> jobs)
        {
            var pending = jobs.ToList();
            var all = pending.ToArray();
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending);
                pending.Remove(done);
                var model = await done;
                jobsDone++;
                (foldsDone.TryGetValue(phase, out var set) ? set : foldsDone[phase] = []).Add(model.Fold);
                latest.Add(new FinalLoss(model.Kind.Name(), model.Fold, model.FinalTrain, model.FinalTest));
                if (latest.Count > 10) latest.RemoveAt(0);
                Publish();
            }
            return await Task.WhenAll(all);
        }

        private void Publish()
        {
            var foldsFinished = foldsDone.TryGetValue(phase, out var set) ? set.Count : 0;
            context.SetCustomStatus(new ExperimentProgress(phase, foldsFinished, folds, jobsDone, 2 + 3 * folds, latest.ToArray()));
        }
    }
}

public static class ActivityRetry
{
    /// <summary>Transient faults (storage, the machine) are retried with back-off; bad input is not.</summary>
    public static readonly TaskOptions Options = TaskOptions.FromRetryPolicy(
        new RetryPolicy(maxNumberOfAttempts: 3, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2.0)
        {
            HandleFailure = failure => !failure.IsCausedBy<InvalidInputException>(),
        });
}
