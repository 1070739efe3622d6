namespace Distillery.Scoring;

/// <summary>
/// Split conformal quantiles around a point forecast: for each horizon day, the held-out residuals r = y − ŷ of
/// calibration windows (never the windows being forecast) give the day's quantile at level q as ŷ + r₍ₖ₎, the k-th
/// smallest residual with k = ⌈(n + 1)q⌉ clamped to 1…n (the finite-sample correction that makes the central
/// (1 − α) interval cover with probability ≥ 1 − α for exchangeable residuals), then made monotone and ≥ 0.
/// </summary>
public static class ConformalQuantiles
{
    /// <summary>The 23 quantiles of one horizon day from its calibration <paramref name="residuals"/> and the point
    /// forecast <paramref name="pointForecast"/>.</summary>
    public static QuantileForecast Forecast(IReadOnlyList<double> residuals, double pointForecast)
    {
        ArgumentNullException.ThrowIfNull(residuals);
        if (residuals.Count == 0) throw new ArgumentException("no calibration residuals", nameof(residuals));
        if (!double.IsFinite(pointForecast))
            throw new ArgumentException($"the point forecast is {pointForecast}", nameof(pointForecast));
        var sorted = residuals.ToArray();
        foreach (var r in sorted)
            if (!double.IsFinite(r)) throw new ArgumentException($"a calibration residual is {r}", nameof(residuals));
        Array.Sort(sorted);
        var n = sorted.Length;
        var values = new double[QuantileLevels.Count];
        for (var i = 0; i < values.Length; i++)
        {
            // The tolerance keeps (n + 1)q that is an integer in decimal (e.g. 100 · 0.25) from rounding up past it.
            var k = (int)Math.Ceiling((n + 1) * QuantileLevels.Levels[i] - 1e-9);
            values[i] = pointForecast + sorted[Math.Clamp(k, 1, n) - 1];
        }
        return QuantileForecast.Monotone(values);
    }

    /// <summary>One forecast per horizon day: day d uses <paramref name="residualsByDay"/>[d] around
    /// <paramref name="pointForecasts"/>[d] (residuals are not pooled across days: spread grows with the horizon).</summary>
    public static QuantileForecast[] Forecast(
        IReadOnlyList<IReadOnlyList<double>> residualsByDay, IReadOnlyList<double> pointForecasts)
    {
        ArgumentNullException.ThrowIfNull(residualsByDay);
        ArgumentNullException.ThrowIfNull(pointForecasts);
        if (residualsByDay.Count != pointForecasts.Count)
            throw new ArgumentException(
                $"{residualsByDay.Count} days of residuals for {pointForecasts.Count} forecast days");
        return pointForecasts.Select((point, day) => Forecast(residualsByDay[day], point)).ToArray();
    }
}
