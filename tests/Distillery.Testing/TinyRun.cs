using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;
using Distillery.Training;

namespace Distillery.Tests.Experiments;

/// <summary>Counts the passes each job trained, to prove that finished steps are not retrained.</summary>
public sealed class PassCounter : ITrainingObserver
{
    private int passes;
    public int Passes => Volatile.Read(ref passes);
    public void OnPass(string runId, ModelKind kind, int fold, PassReport pass) => Interlocked.Increment(ref passes);
}

/// <summary>The experiment's steps called directly, in the study's order, on real US_FL data with tiny training.</summary>
public static class TinyRun
{
    public static ExperimentSettings Settings(int epochs = 1, long seed = 0) =>
        new() { Data = RepoPaths.UsFl, Folds = 2, Epochs = epochs, Seed = seed };

    public static async Task<RunSummary> RunStepsAsync(ExperimentSteps steps, string runId, ExperimentSettings settings)
    {
        var started = DateTime.UtcNow;
        var dataset = await steps.Prepare.RunAsync(new PrepareRequest(runId, settings));
        var teachers = new List<TrainedModel>();
        for (var fold = 1; fold <= dataset.Folds; fold++)
            teachers.Add(await steps.TrainTeacher.RunAsync(new TrainRequest(runId, settings, ModelKind.Teacher, fold)));
        var best = TeacherSelection.Best(teachers.Select(t => (t.Fold, t.FinalTrain, t.FinalTest)));
        var students = new List<TrainedModel>();
        for (var fold = 1; fold <= dataset.Folds; fold++)
        {
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest(runId, settings, ModelKind.Student, fold, best)));
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest(runId, settings, ModelKind.Fnn, fold)));
        }
        return await steps.Summarize.RunAsync(new SummarizeRequest(runId, settings, dataset, teachers, best, students, started, DateTime.UtcNow));
    }

    public static ExperimentSteps Steps(string root, ITrainingObserver? observer = null) =>
        new(new LocalDirectoryStore(root), new DataSourceOptions(), observer);
}

public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("distillery-test-").FullName;
    public void Dispose() { try { Directory.Delete(Path, true); } catch (IOException) { } }
}

/// <summary>Edits of a run's results.json, as the champion tests vary real runs.</summary>
public static class ResultsEdits
{
    /// <summary>The results with the student's MASE (and optionally relative WIS) against the truth replaced.</summary>
    public static RunResults WithStudentSkill(this RunResults results, double mase, double? relativeWis = null)
    {
        var student = results.TruthOf(ModelKind.Student);
        return results with
        {
            Truth = new Dictionary<string, TruthSummary>(results.Truth)
            {
                [ModelKind.Student.Name()] = student with
                {
                    Mase = new MeanSem(mase, student.Mase.Sem),
                    RelativeWis = relativeWis is { } wis ? new MeanSem(wis, 0) : null,
                },
            },
        };
    }

    /// <summary>Rewrites runs/{runId}/results.json with the student's MASE set to <paramref name="mase"/>.</summary>
    public static async Task SetStudentMaseAsync(this IArtifactStore store, string runId, double mase, double? relativeWis = null)
    {
        var path = new RunLayout(runId).Results;
        var results = await store.ReadJsonAsync<RunResults>(path) ?? throw new InvalidOperationException($"no {path}");
        await store.WriteJsonAsync(path, results.WithStudentSkill(mase, relativeWis));
    }
}
