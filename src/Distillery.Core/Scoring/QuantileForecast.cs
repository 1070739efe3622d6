namespace Distillery.Scoring;

/// <summary>
/// A probabilistic forecast of one horizon day: the values at the 23 <see cref="QuantileLevels.Levels"/>, finite and
/// non-decreasing (checked on construction). A 14-day forecast is one of these per day.
/// </summary>
public sealed record QuantileForecast
{
    private readonly double[] _values;

    /// <param name="values">One value per level of <see cref="QuantileLevels.Levels"/>, in that order.</param>
    public QuantileForecast(IReadOnlyList<double> values)
    {
        var problem = Problem(values);
        if (problem is not null) throw new ArgumentException(problem, nameof(values));
        _values = [.. values];
    }

    /// <summary>The values at the 23 levels (a copy is kept: the forecast cannot change after validation).</summary>
    public IReadOnlyList<double> Values => _values;

    /// <summary>The value at level 0.5.</summary>
    public double Median => _values[QuantileLevels.MedianIndex];

    /// <summary>The lower bound (level α/2) of <paramref name="interval"/>.</summary>
    public double Lower(CentralInterval interval) => _values[interval.LowerIndex];

    /// <summary>The upper bound (level 1 − α/2) of <paramref name="interval"/>.</summary>
    public double Upper(CentralInterval interval) => _values[interval.UpperIndex];

    /// <summary>Why <paramref name="values"/> is not a valid forecast (wrong count, not finite, decreasing), or null.</summary>
    public static string? Problem(IReadOnlyList<double>? values)
    {
        if (values is null) return "no quantile values";
        if (values.Count != QuantileLevels.Count)
            return $"{values.Count} quantile values, the Hub's levels need {QuantileLevels.Count}";
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i])) return $"the value at level {QuantileLevels.Levels[i]} is {values[i]}";
            if (i > 0 && values[i] < values[i - 1])
                return $"the value at level {QuantileLevels.Levels[i]} ({values[i]}) is below the one at level " +
                       $"{QuantileLevels.Levels[i - 1]} ({values[i - 1]}): quantiles must not decrease";
        }
        return null;
    }

    /// <summary>
    /// A valid forecast from raw values that may cross or go below 0: sorted (the rearrangement that removes quantile
    /// crossing) and clamped at 0, since hospitalisations are counts. Non-finite values are still an error: sorting
    /// cannot say where a NaN belongs.
    /// </summary>
    public static QuantileForecast Monotone(IReadOnlyList<double> raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        foreach (var v in raw)
            if (!double.IsFinite(v)) throw new ArgumentException($"a quantile value is {v}", nameof(raw));
        var sorted = raw.Select(v => Math.Max(v, 0.0)).ToArray();
        Array.Sort(sorted);
        return new QuantileForecast(sorted);
    }
}
