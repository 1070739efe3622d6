using Distillery.Models;

namespace Distillery.Experiments;

// Small, serializable inputs and outputs of the experiment steps: ids, paths and final losses, never tensors or data.
// Part is the experiment's key within the run ("" for a run of one experiment); Settings are that experiment's own
// (one data source, one protocol).

public sealed record PrepareRequest(string RunId, ExperimentSettings Settings, string Part = "");

public sealed record PreparedDataset(string RunId, string DatasetPath, string Source, int Rows, int Windows, int Features,
    int Folds, long TeacherParameters, long StudentParameters, double Seconds, string Part = "");

/// <summary>StudentHidden: a sweep size other than the main student's (null: the main size).</summary>
public sealed record TrainRequest(string RunId, ExperimentSettings Settings, ModelKind Kind, int Fold, int? TeacherFold = null,
    string Part = "", int? StudentHidden = null)
{
    /// <summary>Artifact name suffix of a sweep student ("h16"), empty for the main models.</summary>
    public string Variant => StudentHidden is { } h ? $"h{h}" : "";
}

/// <summary>Worker, StartedUtc, FinishedUtc: who trained it and when (kept with the stored outcome, so a reused step
/// still names the process that ran it).</summary>
public sealed record TrainedModel(string RunId, ModelKind Kind, int Fold, string ModelPath, string OutcomePath,
    double FinalTrain, double FinalTest, double? FinalTestVsTruth, double Seconds, string Part = "", int? StudentHidden = null,
    long Parameters = 0, string Worker = "", DateTime StartedUtc = default, DateTime FinishedUtc = default)
{
    /// <summary>What it is in progress and results.json: the kind's name, and a sweep student's width ("student-h8").</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Name => Kind.Name() + (StudentHidden is { } h ? $"-h{h}" : "");

    public JobRecord Job => new(Name, Fold, Part, Worker, StartedUtc, FinishedUtc, Seconds);
}

/// <summary>One training job in results.json: what it trained, which process ran it (machine:pid), and when.</summary>
public sealed record JobRecord(string Kind, int Fold, string Part, string Worker, DateTime Started, DateTime Finished, double Seconds);

/// <summary>Who runs a piece of work: this machine and process.</summary>
public static class WorkerIdentity
{
    public static string Current { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}

public sealed record SummarizeRequest(string RunId, ExperimentSettings Settings, PreparedDataset Dataset,
    IReadOnlyList<TrainedModel> Teachers, int BestTeacherFold, IReadOnlyList<TrainedModel> Students,
    DateTime StartedUtc, DateTime FinishedTrainingUtc, string Part = "");

public sealed record RunSummary(string RunId, string ResultsPath, string ReportPath, int BestTeacherFold,
    IReadOnlyDictionary<ModelKind, ModelSummary> Summary, string Part = "");

public sealed record ModelSummary(double MeanTrain, double SemTrain, double MeanTest, double SemTest);

/// <summary>A finished training step as stored at <see cref="RunLayout.Outcome"/>: the record, its curves, and its
/// final accuracy against the true targets of the fold's test windows. With early stopping, the validation curve and
/// the best pass (1-based, whose weights were kept), and the conformal calibration of its quantiles from that
/// validation block; all written only then.</summary>
public sealed record TrainingOutcome(TrainedModel Model, double[] Train, double[] Test, double[]? TestVsTruth, TruthMetrics? Truth = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    double[]? Validation = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    int? BestPass = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    Scoring.ConformalCalibration? Calibration = null);
