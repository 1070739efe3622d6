namespace Distillery.Scoring;

/// <summary>
/// The US COVID-19 Forecast Hub's baseline (COVIDhub-baseline) for daily incidence such as hospitalisations, as its
/// metadata defines it (https://github.com/reichlab/covid19-forecast-hub/blob/master/data-processed/COVIDhub-baseline/metadata-COVIDhub-baseline.txt)
/// and reichlab's simplets implements it (quantile baseline, symmetrize = TRUE, origin "obs", force_nonneg;
/// https://github.com/reichlab/simplets/blob/main/R/quantile_baseline.R): take the first differences of the past
/// series and their negatives; the forecast h days ahead is the last observed value plus the sum of h differences
/// drawn from that symmetric distribution, truncated at 0. Its median (and, before truncation, its mean) is the last
/// observed value at every horizon.
/// <para>
/// simplets draws the sums by resampling; here their distribution is computed exactly, by convolving the differences'
/// distribution h times on the integer lattice, so the result is deterministic and free of sampling noise. Exact when
/// the differences are integers of at most <see cref="MaxLatticeHalfWidth"/> (counts usually are); otherwise they are
/// rounded to a lattice of step max|d| / <see cref="MaxLatticeHalfWidth"/> first (an error of at most h·step/2).
/// A quantile of a discrete distribution is the midpoint of its lower and upper inverse CDF, so the quantiles of the
/// symmetric sums are symmetric and the median is exactly 0.
/// </para>
/// Fit it on the values the forecaster may see (e.g. the training rows' target, in time order); the sums' quantiles do
/// not depend on the forecast origin, so one fit serves every window, which supplies only its last observed value.
/// </summary>
public sealed class HubBaseline
{
    /// <summary>The most lattice points on each side of 0 for one day's difference; bounds the convolution's cost.</summary>
    public const int MaxLatticeHalfWidth = 2000;

    // Probabilities within this of a level count as equal to it: a CDF that hits a level exactly (nine masses of 1/12
    // make ¾) can fall just short of it in doubles, which would skip the midpoint rule.
    private const double Tolerance = 1e-10;

    private readonly double[][] _increments;

    private HubBaseline(double[][] increments, double step)
    {
        _increments = increments;
        Step = step;
    }

    /// <summary>How many days ahead the fit forecasts.</summary>
    public int Horizon => _increments.Length;

    /// <summary>The lattice step the differences were put on (1 for integer counts).</summary>
    public double Step { get; }

    /// <summary>The quantiles (at <see cref="QuantileLevels.Levels"/>) of the sum of <paramref name="day"/> + 1
    /// symmetrised differences: what is added to the last observed value before truncation.</summary>
    public IReadOnlyList<double> Increments(int day) => _increments[day];

    /// <summary>Fits the baseline on <paramref name="history"/>, the past values in time order (pairs with a missing,
    /// non-finite value are skipped, as simplets drops NA differences), for 1…<paramref name="horizon"/> days ahead.</summary>
    public static HubBaseline Fit(IReadOnlyList<double> history, int horizon)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1);
        var diffs = new List<double>();
        for (var t = 1; t < history.Count; t++)
            if (double.IsFinite(history[t]) && double.IsFinite(history[t - 1])) diffs.Add(history[t] - history[t - 1]);
        if (diffs.Count == 0) throw new ArgumentException("the baseline needs two consecutive observed values", nameof(history));

        var maxAbs = diffs.Max(Math.Abs);
        var integers = diffs.All(d => d == Math.Round(d));
        var step = maxAbs == 0 || (integers && maxAbs <= MaxLatticeHalfWidth) ? 1.0 : maxAbs / MaxLatticeHalfWidth;

        // One day's symmetrised difference on the lattice: each d and −d carries 1/(2n).
        var atoms = diffs.Select(d => (int)Math.Round(d / step)).ToArray();
        var half = atoms.Max(Math.Abs);
        var oneDay = new double[2 * half + 1];
        foreach (var a in atoms)
        {
            oneDay[half + a] += 0.5 / atoms.Length;
            oneDay[half - a] += 0.5 / atoms.Length;
        }
        var support = Enumerable.Range(0, oneDay.Length).Where(i => oneDay[i] > 0).ToArray();

        var increments = new double[horizon][];
        var sum = oneDay;
        for (var day = 0; day < horizon; day++)
        {
            if (day > 0) sum = Convolve(sum, oneDay, support);
            var centre = (sum.Length - 1) / 2;
            increments[day] = QuantileLevels.Levels.Select(q => step * (Quantile(sum, q) - centre)).ToArray();
        }
        return new HubBaseline(increments, step);
    }

    /// <summary>The forecast of every horizon day from the last observed value of the window.</summary>
    public QuantileForecast[] Forecast(double lastObserved)
    {
        if (!double.IsFinite(lastObserved))
            throw new ArgumentException($"the last observed value is {lastObserved}", nameof(lastObserved));
        // Truncating at 0 is monotone, so it commutes with taking quantiles: clamp the quantiles themselves.
        return _increments.Select(inc => QuantileForecast.Monotone(inc.Select(d => lastObserved + d).ToArray())).ToArray();
    }

    /// <summary>Fits on <paramref name="history"/> and forecasts from <paramref name="lastObserved"/>.</summary>
    public static QuantileForecast[] Forecast(IReadOnlyList<double> history, double lastObserved, int horizon) =>
        Fit(history, horizon).Forecast(lastObserved);

    private static double[] Convolve(double[] sum, double[] oneDay, int[] support)
    {
        var result = new double[sum.Length + oneDay.Length - 1];
        foreach (var i in support)
        {
            var p = oneDay[i];
            for (var j = 0; j < sum.Length; j++) result[i + j] += p * sum[j];
        }
        return result;
    }

    // The midpoint of the lower inverse CDF, min{x : F(x) ≥ q}, and the upper one, min{x : F(x) > q}, as a lattice index.
    private static double Quantile(double[] pmf, double q)
    {
        int lower = -1, upper = -1;
        var cdf = 0.0;
        for (var i = 0; i < pmf.Length && upper < 0; i++)
        {
            cdf += pmf[i];
            if (lower < 0 && cdf >= q - Tolerance) lower = i;
            if (cdf > q + Tolerance) upper = i;
        }
        if (upper < 0) upper = pmf.Length - 1;
        return 0.5 * (lower + upper);
    }
}
