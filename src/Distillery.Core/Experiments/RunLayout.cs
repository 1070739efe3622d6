using Distillery.Data;
using Distillery.Models;

namespace Distillery.Experiments;

/// <summary>
/// Deterministic artifact paths of a run. Steps write only here, so re-running a step overwrites or finds its own
/// output, never someone else's. A run with several experiments (locations, protocols) keeps each under its part
/// key (<c>runs/{runId}/{part}/…</c>); a run with one experiment uses <c>runs/{runId}/…</c> directly.
/// </summary>
public sealed record RunLayout(string RunId, string Part = "")
{
    public string RunRoot => $"runs/{RunId}";
    /// <summary>The run's settings, stored when it starts (by the CLI and by POST /api/experiments): what
    /// <c>distillery run --resume</c> runs again.</summary>
    public string Settings => $"{RunRoot}/settings.json";
    public string Root => Part == "" ? RunRoot : $"{RunRoot}/{Part}";
    public string DatasetJson => $"{Root}/dataset/dataset.json";
    public string DatasetMatrix => $"{Root}/dataset/scaled.f64";
    /// <summary>Under the leakage-free protocol every fold has its own features and scaler, fit on its training rows.</summary>
    public string FoldDatasetJson(int fold) => $"{Root}/dataset/fold{fold}/dataset.json";
    public string FoldDatasetMatrix(int fold) => $"{Root}/dataset/fold{fold}/scaled.f64";
    /// <summary>The dataset a fold's models were trained on: its own with per-fold preprocessing, else the run's.</summary>
    public string DatasetJsonOf(EvaluationProtocol protocol, int fold) => protocol.PreprocessingPerFold ? FoldDatasetJson(fold) : DatasetJson;
    public string DatasetMatrixOf(EvaluationProtocol protocol, int fold) => protocol.PreprocessingPerFold ? FoldDatasetMatrix(fold) : DatasetMatrix;
    public string Results => $"{Root}/results.json";
    public string Report => $"{Root}/report.html";
    public string Model(ModelKind kind, int fold, string variant = "") => $"{Root}/models/{Name(kind, variant)}-fold{fold}.pt";
    public string Safetensors(ModelKind kind, int fold, string variant = "") => $"{Root}/models/{Name(kind, variant)}-fold{fold}.safetensors";
    /// <summary>Written last by a training step (then its <c>.sha256</c>): its verified presence means the step finished.
    /// Models and datasets also have a <c>.sha256</c> beside them (<see cref="Distillery.Storage.ContentHash"/>).</summary>
    public string Outcome(ModelKind kind, int fold, string variant = "") => $"{Root}/curves/{Name(kind, variant)}-fold{fold}.json";

    private static string Name(ModelKind kind, string variant) => variant == "" ? kind.Name() : $"{kind.Name()}-{variant}";
}

