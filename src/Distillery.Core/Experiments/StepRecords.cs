using Distillery.Models;

namespace Distillery.Experiments;

// Small, serializable inputs and outputs of the experiment steps: ids, paths and final losses, never tensors or data.

public sealed record PrepareRequest(string RunId, ExperimentSettings Settings);

public sealed record PreparedDataset(string RunId, string DatasetPath, string Source, int Rows, int Windows, int Features,
    int Folds, long TeacherParameters, long StudentParameters, double Seconds);

public sealed record TrainRequest(string RunId, ExperimentSettings Settings, ModelKind Kind, int Fold, int? TeacherFold = null);

public sealed record TrainedModel(string RunId, ModelKind Kind, int Fold, string ModelPath, string OutcomePath,
    double FinalTrain, double FinalTest, double? FinalTestVsTruth, double Seconds);

public sealed record SummarizeRequest(string RunId, ExperimentSettings Settings, PreparedDataset Dataset,
    IReadOnlyList<TrainedModel> Teachers, int BestTeacherFold, IReadOnlyList<TrainedModel> Students,
    DateTime StartedUtc, DateTime FinishedTrainingUtc);

public sealed record RunSummary(string RunId, string ResultsPath, string ReportPath, int BestTeacherFold,
    IReadOnlyDictionary<string, ModelSummary> Summary);

public sealed record ModelSummary(double MeanTrain, double SemTrain, double MeanTest, double SemTest);

/// <summary>A finished training step as stored at <see cref="RunLayout.Outcome"/>: the record plus its curves.</summary>
public sealed record TrainingOutcome(TrainedModel Model, double[] Train, double[] Test, double[]? TestVsTruth);
