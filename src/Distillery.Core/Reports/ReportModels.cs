namespace Distillery.Reports;

/// <summary>
/// The models and baselines as RunResults' dictionaries key them. Kinds are strings there today; only this class
/// spells them and looks them up, so that a change of key type touches it alone.
/// </summary>
internal static class ReportModels
{
    public const string Teacher = "teacher";
    public const string Student = "student";
    public const string Fnn = "fnn";
    public const string Persistence = "persistence";
    public const string InputMean = "inputMean";

    /// <summary>Every model, then the baselines: the combined report's columns.</summary>
    public static readonly IReadOnlyList<string> All = [Teacher, Student, Fnn, Persistence, InputMean];

    public static bool TryGet<T>(IReadOnlyDictionary<string, T> byModel, string model, out T value) =>
        byModel.TryGetValue(model, out value!);

    /// <summary>The name a page shows for a model or baseline; an unknown key as it is.</summary>
    public static string DisplayName(string model) => model switch
    {
        Teacher => "Teacher",
        Student => "Distilled student",
        Fnn => "FNN",
        Persistence => "Persistence",
        InputMean => "Input mean",
        _ => model,
    };
}
