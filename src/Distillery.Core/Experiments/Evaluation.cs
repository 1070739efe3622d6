namespace Distillery.Experiments;

public static class Evaluation
{
    /// <summary>Metrics of scaled forecasts [window][day] against scaled truth, unscaled as <paramref name="meta"/>'s
    /// target (its min/max, and its transform inverted before the difference).</summary>
    public static TruthMetrics Compute(double[][] forecast, double[][] truth, DatasetArtifact meta, double persistenceMae)
    {
        var n = forecast.Length;
        if (n == 0 || truth.Length != n) throw new ArgumentException("forecast and truth need the same, non-zero number of windows");
        var days = truth[0].Length;
        var range = meta.Max[meta.TargetIndex] - meta.Min[meta.TargetIndex];
        var transform = meta.Transform;
        double squaredScaled = 0, absolute = 0, squared = 0;
        var byHorizon = new double[days];
        for (var w = 0; w < n; w++)
            for (var d = 0; d < days; d++)
            {
                var diff = forecast[w][d] - truth[w][d];
                squaredScaled += diff * diff;
                var real = transform switch
                {
                    Data.TargetTransform.None => Math.Abs(diff * range),
                    Data.TargetTransform.Log1p => Math.Abs(meta.UnscaleTarget(forecast[w][d]) - meta.UnscaleTarget(truth[w][d])),
                };
                absolute += real;
                squared += real * real;
                byHorizon[d] += real;
            }
        var mae = absolute / (n * days);
        return new TruthMetrics(squaredScaled / (n * days), mae, Math.Sqrt(squared / (n * days)),
            persistenceMae > 0 ? mae / persistenceMae : double.NaN, byHorizon.Select(v => v / n).ToArray());
    }

    /// <summary>The persistence baseline: the last observed target value, repeated for every forecast day.</summary>
    public static double[][] Persistence(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        windows.Select(w => Enumerable.Repeat(Target(meta, matrix, w + meta.InputDays - 1), meta.OutputDays).ToArray()).ToArray();

    /// <summary>The input-mean baseline: the mean of the target over the input days (in patients/day, whatever the
    /// target transform), repeated.</summary>
    public static double[][] InputMean(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        windows.Select(w => Enumerable.Repeat(InputMeanOf(meta, matrix, w), meta.OutputDays).ToArray()).ToArray();

    private static double InputMeanOf(DatasetArtifact meta, double[] matrix, int window) => meta.Transform switch
    {
        Data.TargetTransform.None => Enumerable.Range(window, meta.InputDays).Average(r => Target(meta, matrix, r)),
        Data.TargetTransform.Log1p => meta.ScaleTarget(Enumerable.Range(window, meta.InputDays).Average(r => meta.UnscaleTarget(Target(meta, matrix, r)))),
    };

    /// <summary>The true scaled targets of the given windows.</summary>
    public static double[][] Truth(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        windows.Select(w => Enumerable.Range(w + meta.InputDays, meta.OutputDays).Select(r => Target(meta, matrix, r)).ToArray()).ToArray();

    public static double MaeOf(double[][] forecast, double[][] truth, DatasetArtifact meta) => Compute(forecast, truth, meta, 1).Mae;

    public const string PersistenceName = "persistence", InputMeanName = "inputMean";

    /// <summary>The Forecast Hub's probabilistic baseline; present only when the run has a validation block to calibrate
    /// the models' quantiles on (so not in <see cref="BaselineNames"/>, which every run has).</summary>
    public const string HubName = "hub";

    /// <summary>The naive forecasts every model is compared with, in report order.</summary>
    public static IReadOnlyList<string> BaselineNames { get; } = [PersistenceName, InputMeanName];

    /// <summary>Metrics of both baselines on a fold's test windows, keyed by <see cref="BaselineNames"/>. With
    /// <paramref name="heldOut"/> (the fold's training windows and its validation block, given only when a validation
    /// block exists) persistence also gets quantiles, calibrated on its residuals on the block as every model's are, and
    /// the Hub baseline, fitted on the training windows' rows, appears under <see cref="HubName"/>.</summary>
    public static IReadOnlyDictionary<string, TruthMetrics> Baselines(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows,
        (IReadOnlyList<int> Train, IReadOnlyList<int> Validation)? heldOut = null)
    {
        var truth = Truth(meta, matrix, windows);
        var persistence = Persistence(meta, matrix, windows);
        var persistenceMae = MaeOf(persistence, truth, meta);
        var baselines = new Dictionary<string, TruthMetrics>
        {
            [PersistenceName] = Compute(persistence, truth, meta, persistenceMae),
            [InputMeanName] = Compute(InputMean(meta, matrix, windows), truth, meta, persistenceMae),
        };
        if (heldOut is var (train, validation))
        {
            var point = baselines[PersistenceName];
            baselines[HubName] = ProbabilisticEvaluation.HubMetrics(point, meta, matrix, train, windows);
            baselines[PersistenceName] = ProbabilisticEvaluation.WithModelScores(point, meta, matrix, Persistence(meta, matrix, validation),
                validation, persistence, windows, train).Metrics;
        }
        return baselines;
    }

    private static double Target(DatasetArtifact meta, double[] matrix, int row) => matrix[row * meta.Features.Count + meta.TargetIndex];
}
