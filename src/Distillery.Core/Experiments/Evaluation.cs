namespace Distillery.Experiments;

public static class Evaluation
{
    /// <summary>Metrics of scaled forecasts [window][day] against scaled truth, unscaled with the target's min/max.</summary>
    public static TruthMetrics Compute(double[][] forecast, double[][] truth, double targetMin, double targetMax, double persistenceMae)
    {
        var n = forecast.Length;
        if (n == 0 || truth.Length != n) throw new ArgumentException("forecast and truth need the same, non-zero number of windows");
        var days = truth[0].Length;
        var range = targetMax - targetMin;
        double squaredScaled = 0, absolute = 0, squared = 0;
        var byHorizon = new double[days];
        for (var w = 0; w < n; w++)
            for (var d = 0; d < days; d++)
            {
                var diff = forecast[w][d] - truth[w][d];
                squaredScaled += diff * diff;
                var real = Math.Abs(diff * range);
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

    /// <summary>The input-mean baseline: the mean of the target over the input days, repeated.</summary>
    public static double[][] InputMean(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        windows.Select(w => Enumerable.Repeat(Enumerable.Range(w, meta.InputDays).Average(r => Target(meta, matrix, r)), meta.OutputDays).ToArray()).ToArray();

    /// <summary>The true scaled targets of the given windows.</summary>
    public static double[][] Truth(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        windows.Select(w => Enumerable.Range(w + meta.InputDays, meta.OutputDays).Select(r => Target(meta, matrix, r)).ToArray()).ToArray();

    public static double MaeOf(double[][] forecast, double[][] truth, double targetMin, double targetMax) =>
        Compute(forecast, truth, targetMin, targetMax, 1).Mae;

    public const string PersistenceName = "persistence", InputMeanName = "inputMean";

    /// <summary>The naive forecasts every model is compared with, in report order.</summary>
    public static IReadOnlyList<string> BaselineNames { get; } = [PersistenceName, InputMeanName];

    /// <summary>Metrics of both baselines on a fold's test windows, keyed by <see cref="BaselineNames"/>.</summary>
    public static IReadOnlyDictionary<string, TruthMetrics> Baselines(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows)
    {
        var (min, max) = (meta.Min[meta.TargetIndex], meta.Max[meta.TargetIndex]);
        var truth = Truth(meta, matrix, windows);
        var persistence = Persistence(meta, matrix, windows);
        var persistenceMae = MaeOf(persistence, truth, min, max);
        return new Dictionary<string, TruthMetrics>
        {
            [PersistenceName] = Compute(persistence, truth, min, max, persistenceMae),
            [InputMeanName] = Compute(InputMean(meta, matrix, windows), truth, min, max, persistenceMae),
        };
    }

    private static double Target(DatasetArtifact meta, double[] matrix, int row) => matrix[row * meta.Features.Count + meta.TargetIndex];
}
