namespace Distillery.Experiments;

/// <summary>
/// Named sets of training settings. <c>study</c> is the study's protocol unchanged (batch 1, 100 epochs = 101 passes,
/// teacher lr 1e-4, student lr 1e-5). <c>fast</c> trains on mini-batches of 32 windows, reshuffled every pass from
/// the seed (fold order trains worse at these settings), 40 epochs (41 passes), teacher lr 3e-3, student and FNN
/// lr 1e-3: minutes become seconds, with a lower test error against the truth (figures: bench/README.md).
/// <c>forecast</c> is <c>fast</c> made a forecaster: last-value normalisation (linear heads), the target and its 8 most
/// correlated columns (ranked on the training rows), early stopping with patience 10 on a validation block, which also
/// calibrates the 23 quantiles. Chosen by nested validation inside US_FL's leakage-free training folds, never on test
/// folds: bench/forecast/tuning.md. Use it with <c>--protocol leakage-free</c> to measure it honestly.
/// </summary>
public static class Presets
{
    public const string Study = "study";
    public const string Fast = "fast";
    public const string Forecast = "forecast";

    /// <summary>Mini-batch size of <c>fast</c>.</summary>
    public const int FastBatchSize = 32;
    /// <summary>Epochs of <c>fast</c> (passes = epochs + 1).</summary>
    public const int FastEpochs = 40;
    public const double FastTeacherLr = 3e-3;
    public const double FastStudentLr = 1e-3;

    public const string ForecastFeatures = "top:8";
    public const int ForecastPatience = 10;

    public static IReadOnlyList<string> Names { get; } = [Study, Fast, Forecast];

    /// <summary>Returns <paramref name="s"/> with the preset's values (batch size, learning rates, epochs; for
    /// <c>forecast</c> also normalisation, features and early stopping; other fields untouched). Throws <see cref="InvalidInputException"/> for an unknown name.</summary>
    public static ExperimentSettings Apply(string name, ExperimentSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return (name ?? "").Trim().ToLowerInvariant() switch
        {
            Study => s,
            Fast => AsFast(s),
            Forecast => AsFast(s) with
            {
                Normalization = WindowNormalizations.LastValueName,
                Features = ForecastFeatures,
                EarlyStoppingPatience = ForecastPatience,
            },
            _ => throw new InvalidInputException($"unknown preset '{name}': known presets are {string.Join(", ", Names)}"),
        };
    }

    private static ExperimentSettings AsFast(ExperimentSettings s) => s with
    {
        BatchSize = FastBatchSize,
        Epochs = FastEpochs,
        TeacherLr = FastTeacherLr,
        StudentLr = FastStudentLr,
    };
}
