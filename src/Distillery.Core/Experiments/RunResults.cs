using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Experiments;

/// <summary>Per-pass losses of one model on one fold, and its final accuracy against the truth. With early stopping,
/// the validation curve and the best pass (1-based), written only then; the final losses are that pass's.</summary>
public sealed record Curves(double[] Train, double[] Test, double[]? TestVsTruth = null, TruthMetrics? Truth = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    double[]? Validation = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    int? BestPass = null)
{
    /// <summary>A curve's value at the pass whose weights the model ends with (the last, or the best with early stopping).</summary>
    public double Final(double[] curve) => BestPass is { } best ? curve[best - 1] : curve[^1];
}


public sealed record DatasetSummary(string Source, string Target, int Rows, int Windows, IReadOnlyList<string> Features,
    string FirstDate, string LastDate)
{
    /// <summary>Columns the feature selection named that the data lacked (see <see cref="DatasetArtifact.FeaturesLeftOut"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? FeaturesLeftOut { get; init; }
}

public sealed record MeanSem(double Mean, double Sem);

/// <summary>Mean ± SEM over folds of the metrics against the truth.</summary>
public sealed record TruthSummary(MeanSem Mse, MeanSem Mae, MeanSem Rmse, MeanSem Mase, double[] MaeByHorizon)
{
    /// <summary>Mean WIS over the Hub baseline's on the same windows, when scored (not written otherwise: results.json unchanged).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MeanSem? RelativeWis { get; init; }

    /// <summary>WIS in patients/day, when every fold was scored (see <see cref="TruthMetrics.Wis"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MeanSem? Wis { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MeanSem? Coverage50 { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MeanSem? Coverage95 { get; init; }

    /// <summary>MASE on the validation blocks (see <see cref="TruthMetrics.ValidationMase"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public MeanSem? ValidationMase { get; init; }
}

/// <summary>One student size of a sweep: its parameters and accuracy against the truth over the folds.</summary>
public sealed record SweepPoint(string Name, int Hidden, int Layers, long Parameters, TruthSummary Truth)
{
    /// <summary>The run's main student (the first width), named as its kind; the others are "student-h{width}".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsMainStudent => Name == ModelKind.Student.Name();
}

/// <summary>results.json: everything a report needs, written by the summarize step.</summary>
public sealed record RunResults
{
    public required string RunId { get; init; }
    public required string Status { get; init; }
    /// <summary>The <see cref="Experiments.EvaluationProtocol"/>'s name.</summary>
    public required string Protocol { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public EvaluationProtocol EvaluationProtocol => EvaluationProtocol.Parse(Protocol);
    public string Part { get; init; } = "";
    public string Location { get; init; } = "";
    public required ExperimentSettings Settings { get; init; }
    public required DatasetSummary Dataset { get; init; }
    public required IReadOnlyDictionary<ModelKind, long> Params { get; init; }
    /// <summary>The study's best teacher (1-based); under the leakage-free protocol every fold uses its own, and this is 0.</summary>
    public required int BestTeacherFold { get; init; }
    public required IReadOnlyList<FoldResult> Folds { get; init; }
    public required IReadOnlyDictionary<ModelKind, ModelSummary> Summary { get; init; }
    /// <summary>The distilled student's final test loss against the true targets (the study never reported it).</summary>
    public required MeanSem StudentTestVsTruth { get; init; }
    /// <summary>Every model and baseline against the truth, mean ± SEM over folds, keyed by the model kind's name or the
    /// baseline's (teacher, student, fnn, persistence, inputMean).</summary>
    public IReadOnlyDictionary<string, TruthSummary> Truth { get; init; } = new Dictionary<string, TruthSummary>();

    public TruthSummary TruthOf(ModelKind kind) => Truth[kind.Name()];
    public IReadOnlyList<SweepPoint> Sweep { get; init; } = [];
    /// <summary>The smallest swept student whose mean test MAE is at most the teacher's × (1 + sweepTolerance); null if none.</summary>
    public string? SmallestStudentWithinTolerance { get; init; }
    public required IReadOnlyDictionary<string, double> Timings { get; init; }
    /// <summary>Every training job: which worker process ran it, and when.</summary>
    public IReadOnlyList<JobRecord> Jobs { get; init; } = [];
    /// <summary>Did distillation help: the student's MAE minus the FNN's per fold, with paired tests (what the report's
    /// verdict says, for tools that read results.json). Null when a fold lacks either MAE.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DistillationComparison? Distillation { get; init; }

    public static async Task<RunResults> BuildAsync(RunArtifacts artifacts, SummarizeRequest request, CancellationToken ct)
    {
        var settings = request.Settings;
        var layout = artifacts.Layout;
        var (meta, _) = await artifacts.DatasetAsync(ct);
        Task<TrainingOutcome> Outcome(ModelKind kind, int fold, string variant = "") => artifacts.OutcomeAsync(kind, fold, variant, ct);
        static Curves CurvesOf(TrainingOutcome o) => new(o.Train, o.Test, o.TestVsTruth, o.Truth, o.Validation, o.BestPass);

        (IReadOnlyList<int>, IReadOnlyList<int>)? HeldOut(FoldSplit split) => settings.EarlyStoppingFraction is { } fraction
            ? (split.TrainIndices, ValidationSplit.Split(split, fraction, settings.InputDays, settings.OutputDays).Validation)
            : null;
        var sweepSizes = settings.StudentHidden.Skip(1).Distinct().Where(h => h != settings.StudentHidden[0]).ToArray();
        var folds = new List<FoldResult>();
        foreach (var split in meta.Folds)
        {
            var (foldMeta, foldMatrix) = await artifacts.FoldDatasetAsync(settings.EvaluationProtocol, split.Fold, ct);
            var sweep = new Dictionary<string, Curves>();
            foreach (var h in sweepSizes) sweep[$"h{h}"] = CurvesOf(await Outcome(ModelKind.Student, split.Fold, $"h{h}"));
            var models = new Dictionary<ModelKind, Curves>();
            foreach (var kind in ModelKinds.All) models[kind] = CurvesOf(await Outcome(kind, split.Fold));
            folds.Add(new FoldResult(split.Fold, split.TrainIndices, split.TestIndices, models,
                Evaluation.Baselines(foldMeta, foldMatrix, split.TestIndices, HeldOut(split)), sweep.Count > 0 ? sweep : null));
        }

        ModelSummary Losses(ModelKind kind)
        {
            var train = folds.Select(f => f[kind].Final(f[kind].Train)).ToList();
            var test = folds.Select(f => f[kind].Final(f[kind].Test)).ToList();
            return new ModelSummary(Statistics.Mean(train), Statistics.Sem(train), Statistics.Mean(test), Statistics.Sem(test));
        }
        var summary = ModelKinds.All.ToDictionary(kind => kind, Losses);
        var truth = new Dictionary<string, TruthSummary>();
        foreach (var kind in ModelKinds.All) truth[kind.Name()] = Summarize(folds.Select(f => f[kind].Truth!));
        foreach (var baseline in Evaluation.BaselineNames) truth[baseline] = Summarize(folds.Select(f => f.Baselines![baseline]));
        if (folds.All(f => f.Baselines!.ContainsKey(Evaluation.HubName)))
            truth[Evaluation.HubName] = Summarize(folds.Select(f => f.Baselines![Evaluation.HubName]));
        var shape = settings.ShapeFor(meta);
        var sweepPoints = settings.StudentHidden.Distinct().Select(h => new SweepPoint(
                h == settings.StudentHidden[0] ? ModelKind.Student.Name() : $"{ModelKind.Student.Name()}-h{h}", h, settings.StudentLayers,
                ModelFactory.ParameterCount(ModelKind.Student, shape with { StudentHidden = h }),
                h == settings.StudentHidden[0] ? truth[ModelKind.Student.Name()] : Summarize(folds.Select(f => f.Sweep![$"h{h}"].Truth!))))
            .ToList();

        var studentVsTruth = folds.Select(f => f[ModelKind.Student].Final(f[ModelKind.Student].TestVsTruth!)).ToList();
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
            Protocol = settings.Protocol,
            Part = layout.Part,
            Location = settings.Sources.Single().LocationName,
            Settings = settings,
            Dataset = new DatasetSummary(meta.Source, meta.Target, meta.Rows, meta.Windows, meta.Features, meta.FirstDate, meta.LastDate)
                { FeaturesLeftOut = meta.FeaturesLeftOut },
            Params = new Dictionary<ModelKind, long> { [ModelKind.Teacher] = request.Dataset.TeacherParameters, [ModelKind.Student] = request.Dataset.StudentParameters },
            BestTeacherFold = request.BestTeacherFold,
            Folds = folds,
            Summary = summary,
            StudentTestVsTruth = new MeanSem(Statistics.Mean(studentVsTruth), Statistics.Sem(studentVsTruth)),
            Truth = truth,
            Distillation = DistillationComparison.Of(folds),
            Sweep = sweepPoints.Count > 1 ? sweepPoints : [],
            SmallestStudentWithinTolerance = sweepPoints.Count > 1
                ? sweepPoints.Where(p => p.Truth.Mae.Mean <= truth[ModelKind.Teacher.Name()].Mae.Mean * (1 + settings.SweepTolerance))
                    .OrderBy(p => p.Parameters).FirstOrDefault()?.Name
                : null,
            Timings = timings,
            Jobs = request.Teachers.Concat(request.Students).Select(m => m.Job).OrderBy(j => j.Started).ThenBy(j => j.Kind).ThenBy(j => j.Fold).ToList(),
        };
    }

    private static TruthSummary Summarize(IEnumerable<TruthMetrics> perFold)
    {
        var all = perFold.ToList();
        MeanSem Of(Func<TruthMetrics, double> pick)
        {
            var values = all.Select(pick).ToList();
            return new MeanSem(Statistics.Mean(values), Statistics.Sem(values));
        }
        // A probabilistic score is summarised only when every fold has it: a mean over some folds would mislead.
        MeanSem? Optional(Func<TruthMetrics, double?> pick) => all.All(m => pick(m) is not null) ? Of(m => pick(m)!.Value) : null;
        var horizons = all[0].MaeByHorizon.Length;
        return new TruthSummary(Of(m => m.Mse), Of(m => m.Mae), Of(m => m.Rmse), Of(m => m.Mase),
            Enumerable.Range(0, horizons).Select(d => all.Average(m => m.MaeByHorizon[d])).ToArray())
        {
            Wis = Optional(m => m.Wis), RelativeWis = Optional(m => m.RelativeWis),
            Coverage50 = Optional(m => m.Coverage50), Coverage95 = Optional(m => m.Coverage95),
            ValidationMase = Optional(m => m.ValidationMase),
        };
    }
}
