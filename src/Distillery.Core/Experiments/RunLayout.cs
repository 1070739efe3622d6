using Distillery.Models;

namespace Distillery.Experiments;

/// <summary>Deterministic artifact paths of a run. Steps write only here, so re-running a step overwrites
/// or finds its own output, never someone else's.</summary>
public sealed record RunLayout(string RunId)
{
    public string Root => $"runs/{RunId}";
    public string DatasetJson => $"{Root}/dataset/dataset.json";
    public string DatasetMatrix => $"{Root}/dataset/scaled.f64";
    public string Results => $"{Root}/results.json";
    public string Model(ModelKind kind, int fold) => $"{Root}/models/{kind.Name()}-fold{fold}.pt";
    public string Safetensors(ModelKind kind, int fold) => $"{Root}/models/{kind.Name()}-fold{fold}.safetensors";
    /// <summary>Written last by a training step: its presence means the step finished.</summary>
    public string Outcome(ModelKind kind, int fold) => $"{Root}/curves/{kind.Name()}-fold{fold}.json";
}
