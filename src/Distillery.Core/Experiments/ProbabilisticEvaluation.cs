using Distillery.Scoring;

namespace Distillery.Experiments;

/// <summary>
/// The one home of the probabilistic scores against the truth (WIS, relative WIS, 50 %/95 % coverage), in patients/day.
/// A point model gets quantiles by split conformal calibration on its residuals on the fold's validation block (held
/// out of the weights' training, never test windows), so scores exist only when early stopping carved that block. The
/// reference is the Forecast Hub's baseline, fitted on the fold's training rows only. Persistence is calibrated the same
/// way (its residuals on the validation block), so it, too, has scores beside the Hub baseline (same median, other spread).
/// </summary>
public static class ProbabilisticEvaluation
{
    /// <summary>Per-window WIS (mean over horizon days) and the coverage of the 50 % and 95 % intervals.</summary>
    public sealed record Scores(double[] WindowWis, double Coverage50, double Coverage95);

    /// <summary><paramref name="point"/> with the model's scores, and the calibration they came from: quantiles from its
    /// validation residuals (<paramref name="validationForecast"/> vs the truth of <paramref name="validationWindows"/>,
    /// scaled) around its scaled test forecasts, scored on <paramref name="testWindows"/> and against the Hub baseline
    /// fitted on <paramref name="trainWindows"/>' rows. Also the model's MASE on the validation windows (what settings are
    /// chosen by: never the test windows).</summary>
    public static (TruthMetrics Metrics, ConformalCalibration Calibration) WithModelScores(TruthMetrics point, DatasetArtifact meta,
        double[] matrix, double[][] validationForecast, IReadOnlyList<int> validationWindows, double[][] testForecast,
        IReadOnlyList<int> testWindows, IReadOnlyList<int> trainWindows)
    {
        var scaledTruth = Evaluation.Truth(meta, matrix, validationWindows);
        var validationTruth = InPatients(meta, scaledTruth);
        var days = meta.OutputDays;
        var residuals = Enumerable.Range(0, days)
            .Select(d => (IReadOnlyList<double>)validationTruth.Select((truth, w) => truth[d] - meta.UnscaleTarget(validationForecast[w][d])).ToArray())
            .ToArray();
        var calibration = ConformalCalibration.FromResiduals(residuals);
        var forecasts = testForecast.Select(f => calibration.Forecast(f.Select(meta.UnscaleTarget).ToArray())).ToArray();
        var truth = TruthInPatients(meta, matrix, testWindows);
        var model = Score(forecasts, truth);
        var hub = Score(HubForecasts(meta, matrix, trainWindows, testWindows), truth);
        var validationMase = Evaluation.MaeOf(validationForecast, scaledTruth, meta)
                             / Evaluation.MaeOf(Evaluation.Persistence(meta, matrix, validationWindows), scaledTruth, meta);
        return (With(point, model, RelativeWis.Of(model.WindowWis, hub.WindowWis)) with { ValidationMase = validationMase }, calibration);
    }

    /// <summary>The Hub baseline's metrics: persistence's point metrics (its median is the last value) with its scores;
    /// its relative WIS is 1 by definition.</summary>
    public static TruthMetrics HubMetrics(TruthMetrics persistence, DatasetArtifact meta, double[] matrix,
        IReadOnlyList<int> trainWindows, IReadOnlyList<int> testWindows)
    {
        var hub = Score(HubForecasts(meta, matrix, trainWindows, testWindows), TruthInPatients(meta, matrix, testWindows));
        return With(persistence, hub, RelativeWis.Of(hub.WindowWis, hub.WindowWis));
    }

    /// <summary>The Hub baseline fitted on the target of the rows <paramref name="trainWindows"/> cover, forecasting
    /// each test window from its last observed value.</summary>
    public static QuantileForecast[][] HubForecasts(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> trainWindows,
        IReadOnlyList<int> testWindows)
    {
        var span = meta.InputDays + meta.OutputDays;
        var first = trainWindows.Min();
        var last = trainWindows.Max() + span - 1;
        // Rows no training window covers stay NaN, so the fit takes no difference across a gap (the test rows between
        // training windows under shuffled folds, or a validation gap).
        var history = Enumerable.Repeat(double.NaN, last - first + 1).ToArray();
        foreach (var w in trainWindows)
            for (var r = w; r < w + span; r++) history[r - first] = Patients(meta, matrix, r);
        var hub = HubBaseline.Fit(history, meta.OutputDays);
        return testWindows.Select(w => hub.Forecast(Patients(meta, matrix, w + meta.InputDays - 1))).ToArray();
    }

    /// <summary>The Hub baseline fitted on every row of a finished run's dataset: what serving persistence uses for its
    /// quantiles once the run is over (all of it is the past then).</summary>
    public static HubBaseline HubOfAllRows(DatasetArtifact meta, double[] matrix) =>
        HubBaseline.Fit(Enumerable.Range(0, meta.Rows).Select(r => Patients(meta, matrix, r)).ToArray(), meta.OutputDays);

    /// <summary>Scores of quantile forecasts [window][day] against truths [window][day] in patients/day.</summary>
    public static Scores Score(QuantileForecast[][] forecasts, double[][] truth)
    {
        if (forecasts.Length == 0 || forecasts.Length != truth.Length)
            throw new ArgumentException("forecasts and truth need the same, non-zero number of windows");
        int inside50 = 0, inside95 = 0, pairs = 0;
        var wis = new double[forecasts.Length];
        for (var w = 0; w < forecasts.Length; w++)
        {
            var sum = 0.0;
            for (var d = 0; d < forecasts[w].Length; d++)
            {
                sum += WeightedIntervalScore.Score(forecasts[w][d], truth[w][d]);
                if (WeightedIntervalScore.Coverage(forecasts[w][d], truth[w][d], 0.5)) inside50++;
                if (WeightedIntervalScore.Coverage(forecasts[w][d], truth[w][d], 0.95)) inside95++;
                pairs++;
            }
            wis[w] = sum / forecasts[w].Length;
        }
        return new Scores(wis, (double)inside50 / pairs, (double)inside95 / pairs);
    }

    private static TruthMetrics With(TruthMetrics point, Scores scores, double relativeWis) => point with
    {
        Wis = scores.WindowWis.Average(), RelativeWis = relativeWis, Coverage50 = scores.Coverage50, Coverage95 = scores.Coverage95,
    };

    private static double[][] TruthInPatients(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows) =>
        InPatients(meta, Evaluation.Truth(meta, matrix, windows));

    private static double[][] InPatients(DatasetArtifact meta, double[][] scaled) =>
        scaled.Select(row => row.Select(meta.UnscaleTarget).ToArray()).ToArray();

    // Unscaling leaves counts a rounding error off an integer; snapping them back keeps the Hub baseline's lattice exact.
    private static double Patients(DatasetArtifact meta, double[] matrix, int row)
    {
        var value = meta.UnscaleTarget(matrix[row * meta.Features.Count + meta.TargetIndex]);
        var rounded = Math.Round(value);
        return Math.Abs(value - rounded) < 1e-6 ? rounded : value;
    }
}
