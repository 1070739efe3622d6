namespace Distillery.Experiments;

/// <summary>Named settings: "study" (the study's own) and "fast" (mini-batches with larger learning rates).</summary>
public static class Presets
{
    public static readonly IReadOnlyList<string> Names = ["study", "fast"];

    public static ExperimentSettings Apply(string name, ExperimentSettings settings) => name switch
    {
        "study" => settings,
        "fast" => settings with { BatchSize = 32, Epochs = 60, TeacherLr = 3e-3, StudentLr = 1e-3 },
        _ => throw new InvalidInputException($"unknown preset '{name}': use one of {string.Join(", ", Names)}"),
    };
}
