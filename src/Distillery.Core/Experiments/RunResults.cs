using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Experiments;

public sealed record Curves(double[] Train, double[] Test, double[]? TestVsTruth = null);

public sealed record FoldResult(int Fold, int[] TrainIndices, int[] TestIndices, Curves Teacher, Curves Student, Curves Fnn);

public sealed record DatasetSummary(string Source, string Target, int Rows, int Windows, IReadOnlyList<string> Features,
    string FirstDate, string LastDate);

public sealed record MeanSem(double Mean, double Sem);

/// <summary>results.json: everything a report needs, written by the summarize step.</summary>
public sealed record RunResults
{
    public required string RunId { get; init; }
    public required string Status { get; init; }
    public required string Protocol { get; init; }
    public required ExperimentSettings Settings { get; init; }
    public required DatasetSummary Dataset { get; init; }
    public required IReadOnlyDictionary<string, long> Params { get; init; }
    public required int BestTeacherFold { get; init; }
    public required IReadOnlyList<FoldResult> Folds { get; init; }
    public required IReadOnlyDictionary<string, ModelSummary> Summary { get; init; }
    /// <summary>The distilled student's final test loss against the true targets (the study never reported it).</summary>
    public required MeanSem StudentTestVsTruth { get; init; }
    public required IReadOnlyDictionary<string, double> Timings { get; init; }

    public static async Task<RunResults> BuildAsync(IArtifactStore store, RunLayout layout, SummarizeRequest request, CancellationToken ct)
    {
        var (meta, _) = await DatasetArtifact.LoadAsync(store, layout, ct);
        async Task<TrainingOutcome> Outcome(ModelKind kind, int fold) =>
            await store.ReadJsonAsync<TrainingOutcome>(layout.Outcome(kind, fold), ct)
            ?? throw new InvalidOperationException($"{kind.Name()} of fold {fold} has no stored outcome");

        var folds = new List<FoldResult>();
        var finals = new Dictionary<ModelKind, List<(double Train, double Test)>> { [ModelKind.Teacher] = [], [ModelKind.Student] = [], [ModelKind.Fnn] = [] };
        var studentVsTruth = new List<double>();
        foreach (var split in meta.Folds)
        {
            var teacher = await Outcome(ModelKind.Teacher, split.Fold);
            var student = await Outcome(ModelKind.Student, split.Fold);
            var fnn = await Outcome(ModelKind.Fnn, split.Fold);
            folds.Add(new FoldResult(split.Fold, split.TrainIndices, split.TestIndices,
                new Curves(teacher.Train, teacher.Test), new Curves(student.Train, student.Test, student.TestVsTruth),
                new Curves(fnn.Train, fnn.Test)));
            foreach (var o in new[] { teacher, student, fnn }) finals[o.Model.Kind].Add((o.Train[^1], o.Test[^1]));
            studentVsTruth.Add(student.TestVsTruth![^1]);
        }

        var summary = finals.ToDictionary(kv => kv.Key.Name(), kv =>
        {
            var train = kv.Value.Select(v => v.Train).ToList();
            var test = kv.Value.Select(v => v.Test).ToList();
            return new ModelSummary(Statistics.Mean(train), Statistics.Sem(train), Statistics.Mean(test), Statistics.Sem(test));
        });

        var timings = new Dictionary<string, double>
        {
            ["prepare"] = request.Dataset.Seconds,
            ["teacherJobs"] = request.Teachers.Sum(t => t.Seconds),
            ["studentJobs"] = request.Students.Where(s => s.Kind == ModelKind.Student).Sum(s => s.Seconds),
            ["fnnJobs"] = request.Students.Where(s => s.Kind == ModelKind.Fnn).Sum(s => s.Seconds),
            ["wall"] = (request.FinishedTrainingUtc - request.StartedUtc).TotalSeconds,
        };

        return new RunResults
        {
            RunId = layout.RunId,
            Status = "completed",
            Protocol = "study",
            Settings = request.Settings,
            Dataset = new DatasetSummary(meta.Source, meta.Target, meta.Rows, meta.Windows, meta.Features, meta.FirstDate, meta.LastDate),
            Params = new Dictionary<string, long> { ["teacher"] = request.Dataset.TeacherParameters, ["student"] = request.Dataset.StudentParameters },
            BestTeacherFold = request.BestTeacherFold,
            Folds = folds,
            Summary = summary,
            StudentTestVsTruth = new MeanSem(Statistics.Mean(studentVsTruth), Statistics.Sem(studentVsTruth)),
            Timings = timings,
        };
    }
}
