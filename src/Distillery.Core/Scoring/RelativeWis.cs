namespace Distillery.Scoring;

/// <summary>
/// Relative WIS: a model's mean WIS over a set of windows divided by the baseline's mean WIS over the same windows
/// (below 1: better than the baseline). The Hub's pairwise-tournament version reduces to this with one model and the
/// baseline scored on identical targets.
/// </summary>
public static class RelativeWis
{
    /// <summary>mean(<paramref name="modelScores"/>) / mean(<paramref name="baselineScores"/>), the scores paired by
    /// window; NaN when the baseline's mean is 0 (a perfect baseline leaves the ratio undefined).</summary>
    public static double Of(IReadOnlyList<double> modelScores, IReadOnlyList<double> baselineScores)
    {
        ArgumentNullException.ThrowIfNull(modelScores);
        ArgumentNullException.ThrowIfNull(baselineScores);
        if (modelScores.Count != baselineScores.Count)
            throw new ArgumentException(
                $"{modelScores.Count} model scores and {baselineScores.Count} baseline scores: the windows must be the same");
        if (modelScores.Count == 0) throw new ArgumentException("no windows to compare");
        var baseline = baselineScores.Average();
        return baseline == 0 ? double.NaN : modelScores.Average() / baseline;
    }

    /// <summary>The relative WIS of <paramref name="model"/> against <paramref name="baseline"/>, both forecasting the
    /// same targets whose observed values are <paramref name="truths"/> (one forecast and one truth per target).</summary>
    public static double Of(
        IReadOnlyList<QuantileForecast> model, IReadOnlyList<QuantileForecast> baseline, IReadOnlyList<double> truths)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(truths);
        if (model.Count != truths.Count || baseline.Count != truths.Count)
            throw new ArgumentException("one model forecast, one baseline forecast and one truth per target");
        return Of(
            model.Select((f, i) => WeightedIntervalScore.Score(f, truths[i])).ToArray(),
            baseline.Select((f, i) => WeightedIntervalScore.Score(f, truths[i])).ToArray());
    }
}
