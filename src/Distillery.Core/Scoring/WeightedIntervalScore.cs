namespace Distillery.Scoring;

/// <summary>
/// The interval score and weighted interval score of Bracher, Ray, Gneiting and Reich (2021), "Evaluating epidemic
/// forecasts in an interval format", PLOS Comput Biol 17(2): e1008618, https://doi.org/10.1371/journal.pcbi.1008618:
/// IS_α(l, u; y) = (u − l) + (2/α)(l − y)·1{y &lt; l} + (2/α)(y − u)·1{y &gt; u}, and
/// WIS = (1/(K + 1/2))·(w₀·|y − m| + Σₖ wₖ·IS_αₖ) with w₀ = 1/2, wₖ = αₖ/2. Over the Hub's 23 levels (K = 11) this
/// equals twice the mean pinball loss of the quantiles.
/// </summary>
public static class WeightedIntervalScore
{
    /// <summary>IS_α(l, u; y) for the central (1 − α) interval [l, u].</summary>
    public static double IntervalScore(double alpha, double lower, double upper, double y) =>
        upper - lower + 2.0 / alpha * (Math.Max(lower - y, 0.0) + Math.Max(y - upper, 0.0));

    /// <summary>The WIS of <paramref name="forecast"/> against the observed <paramref name="y"/> (K = 11).</summary>
    public static double Score(QuantileForecast forecast, double y) => Decompose(forecast, y).Total;

    /// <summary>The WIS of <paramref name="forecast"/> split into dispersion, under- and overprediction.</summary>
    public static WisComponents Decompose(QuantileForecast forecast, double y)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        var intervals = QuantileLevels.Intervals;
        var alphas = new double[intervals.Count];
        var lowers = new double[intervals.Count];
        var uppers = new double[intervals.Count];
        for (var k = 0; k < intervals.Count; k++)
        {
            alphas[k] = intervals[k].Alpha;
            lowers[k] = forecast.Lower(intervals[k]);
            uppers[k] = forecast.Upper(intervals[k]);
        }
        return Decompose(forecast.Median, alphas, lowers, uppers, y);
    }

    /// <summary>
    /// The WIS of a median and any K central intervals (α, lower, upper) against <paramref name="y"/>, split into its
    /// components. Each wₖ·IS_αₖ is (αₖ/2)(u − l) of dispersion plus (l − y)⁺ or (y − u)⁺ of penalty; the median's
    /// w₀·|y − m| counts as under- or overprediction, as in the Hub's scoring (scoringutils), so the parts sum to WIS.
    /// </summary>
    public static WisComponents Decompose(
        double median, IReadOnlyList<double> alphas, IReadOnlyList<double> lowers, IReadOnlyList<double> uppers, double y)
    {
        ArgumentNullException.ThrowIfNull(alphas);
        ArgumentNullException.ThrowIfNull(lowers);
        ArgumentNullException.ThrowIfNull(uppers);
        if (lowers.Count != alphas.Count || uppers.Count != alphas.Count)
            throw new ArgumentException("one lower and one upper bound per α");
        double dispersion = 0, under = 0.5 * Math.Max(y - median, 0.0), over = 0.5 * Math.Max(median - y, 0.0);
        for (var k = 0; k < alphas.Count; k++)
        {
            var weight = alphas[k] / 2.0;
            dispersion += weight * (uppers[k] - lowers[k]);
            // wₖ·(2/αₖ) = 1: a miss costs its distance, whatever the interval.
            under += Math.Max(y - uppers[k], 0.0);
            over += Math.Max(lowers[k] - y, 0.0);
        }
        var norm = 1.0 / (alphas.Count + 0.5);
        return new WisComponents(norm * dispersion, norm * under, norm * over);
    }

    /// <summary>
    /// Whether <paramref name="y"/> lies in the central interval of nominal <paramref name="coverage"/> (0.5: levels
    /// 0.25–0.75; 0.95: 0.025–0.975), bounds included as in the Hub's coverage.
    /// </summary>
    public static bool Coverage(QuantileForecast forecast, double y, double coverage)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        var interval = QuantileLevels.Interval(coverage);
        return forecast.Lower(interval) <= y && y <= forecast.Upper(interval);
    }
}
