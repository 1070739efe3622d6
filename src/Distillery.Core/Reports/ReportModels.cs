using Distillery.Experiments;
using Distillery.Models;

namespace Distillery.Reports;

/// <summary>What the pages call the models and baselines that results.json's <c>truth</c> keys by name.</summary>
internal static class ReportModels
{
    /// <summary>Every model kind, then the baselines: the combined report's columns.</summary>
    public static readonly IReadOnlyList<string> All = [.. ModelKinds.All.Select(k => k.Name()), .. Evaluation.BaselineNames];

    public static bool TryGet<T>(IReadOnlyDictionary<string, T> byModel, string model, out T value) =>
        byModel.TryGetValue(model, out value!);

    public static string DisplayName(ModelKind kind) => kind switch
    {
        ModelKind.Teacher => "Teacher",
        ModelKind.Student => "Distilled student",
        ModelKind.Fnn => "FNN",
    };

    /// <summary>The name a page shows for a model or baseline; an unknown key as it is.</summary>
    public static string DisplayName(string model) => ModelKinds.Parse(model) is { } kind
        ? DisplayName(kind)
        : model switch
        {
            Evaluation.PersistenceName => "Persistence",
            Evaluation.InputMeanName => "Input mean",
            Evaluation.HubName => "Hub baseline",
            _ => model,
        };
}
