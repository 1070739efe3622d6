namespace Distillery.Experiments;

/// <summary>How a run's folds are cut.</summary>
public enum FoldSplitting
{
    /// <summary>scikit-learn's shuffled KFold over the windows (the study's: overlapping windows straddle folds).</summary>
    ShuffledKFold,
    /// <summary>Contiguous blocks in time with a gap (<see cref="BlockedFolds"/>): no day in both a training and a test window.</summary>
    Blocked,
}

/// <summary>
/// How an experiment is evaluated: how its folds are split, whether preprocessing (the cleaning rule and the scaler)
/// is fit per fold on its training rows, and whether each fold distils from its own teacher or all folds from the one
/// best teacher. In JSON a protocol is its <see cref="Name"/>; settings may also say <c>both</c>, which runs each.
/// </summary>
public sealed record EvaluationProtocol(string Name, FoldSplitting Splitting, bool PreprocessingPerFold, bool TeacherPerFold)
{
    /// <summary>The study's: shuffled folds, one scaler over all rows, the one best teacher for every fold (it leaks).</summary>
    public static readonly EvaluationProtocol Study = new("study", FoldSplitting.ShuffledKFold, PreprocessingPerFold: false, TeacherPerFold: false);

    /// <summary>Blocked folds, preprocessing fit on each fold's training rows, each fold's student from its own teacher.</summary>
    public static readonly EvaluationProtocol LeakageFree = new("leakage-free", FoldSplitting.Blocked, PreprocessingPerFold: true, TeacherPerFold: true);

    /// <summary>Every protocol, in report order.</summary>
    public static IReadOnlyList<EvaluationProtocol> All { get; } = [Study, LeakageFree];

    /// <summary>The setting that runs every protocol.</summary>
    public const string Both = "both";

    /// <summary>What the <c>protocol</c> setting may say.</summary>
    public static IReadOnlyList<string> Choices { get; } = [.. All.Select(p => p.Name), Both];

    /// <summary>The protocols a setting runs, in report order; <see cref="InvalidInputException"/> for an unknown name.</summary>
    public static IReadOnlyList<EvaluationProtocol> Selected(string choice) => choice == Both ? All : [Parse(choice)];

    public static EvaluationProtocol Parse(string name) => All.FirstOrDefault(p => p.Name == name)
        ?? throw new InvalidInputException($"protocol must be one of {string.Join(", ", Choices)}, got '{name}'");

    public override string ToString() => Name;
}
