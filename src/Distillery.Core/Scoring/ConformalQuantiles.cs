namespace Distillery.Scoring;

/// <summary>
/// Split conformal quantiles around a point forecast: for each horizon day, the held-out residuals r = y − ŷ of
/// calibration windows (never the windows being forecast) give the day's quantile at level q as ŷ + r₍ₖ₎, the k-th
/// smallest residual with k = ⌈(n + 1)q⌉ clamped to 1…n (the finite-sample correction that makes the central
/// (1 − α) interval cover with probability ≥ 1 − α for exchangeable residuals), then made monotone and ≥ 0.
/// The offsets r₍ₖ₎ are all a forecast needs, so they are what a trained model keeps (<see cref="ConformalCalibration"/>).
/// </summary>
public static class ConformalQuantiles
{
    /// <summary>The 23 offsets r₍ₖ₎ (one per level) of one horizon day's calibration <paramref name="residuals"/>.</summary>
    public static double[] Offsets(IReadOnlyList<double> residuals)
    {
        ArgumentNullException.ThrowIfNull(residuals);
        if (residuals.Count == 0) throw new ArgumentException("no calibration residuals", nameof(residuals));
        var sorted = residuals.ToArray();
        foreach (var r in sorted)
            if (!double.IsFinite(r)) throw new ArgumentException($"a calibration residual is {r}", nameof(residuals));
        Array.Sort(sorted);
        var n = sorted.Length;
        var offsets = new double[QuantileLevels.Count];
        for (var i = 0; i < offsets.Length; i++)
        {
            // The tolerance keeps (n + 1)q that is an integer in decimal (e.g. 100 · 0.25) from rounding up past it.
            var k = (int)Math.Ceiling((n + 1) * QuantileLevels.Levels[i] - 1e-9);
            offsets[i] = sorted[Math.Clamp(k, 1, n) - 1];
        }
        return offsets;
    }

    /// <summary>The 23 quantiles of one horizon day from its calibration <paramref name="residuals"/> and the point
    /// forecast <paramref name="pointForecast"/>.</summary>
    public static QuantileForecast Forecast(IReadOnlyList<double> residuals, double pointForecast) =>
        Around(Offsets(residuals), pointForecast);

    /// <summary>One forecast per horizon day: day d uses <paramref name="residualsByDay"/>[d] around
    /// <paramref name="pointForecasts"/>[d] (residuals are not pooled across days: spread grows with the horizon).</summary>
    public static QuantileForecast[] Forecast(
        IReadOnlyList<IReadOnlyList<double>> residualsByDay, IReadOnlyList<double> pointForecasts) =>
        ConformalCalibration.FromResiduals(residualsByDay).Forecast(pointForecasts);

    /// <summary>The quantiles ŷ + offsets, made monotone and ≥ 0.</summary>
    internal static QuantileForecast Around(IReadOnlyList<double> offsets, double pointForecast)
    {
        if (!double.IsFinite(pointForecast))
            throw new ArgumentException($"the point forecast is {pointForecast}", nameof(pointForecast));
        return QuantileForecast.Monotone(offsets.Select(o => pointForecast + o).ToArray());
    }
}

/// <summary>
/// A point model's conformal calibration, in patients/day: per horizon day, the 23 residual offsets
/// (<see cref="ConformalQuantiles.Offsets"/>) from its held-out calibration windows. Stored with the model, so the report
/// and serving turn any point forecast of it into the Hub's quantiles the way its scores were computed.
/// </summary>
public sealed record ConformalCalibration(double[][] Offsets)
{
    public static ConformalCalibration FromResiduals(IReadOnlyList<IReadOnlyList<double>> residualsByDay)
    {
        ArgumentNullException.ThrowIfNull(residualsByDay);
        return new ConformalCalibration(residualsByDay.Select(ConformalQuantiles.Offsets).ToArray());
    }

    /// <summary>One forecast per horizon day around <paramref name="pointForecasts"/> (patients/day).</summary>
    public QuantileForecast[] Forecast(IReadOnlyList<double> pointForecasts)
    {
        ArgumentNullException.ThrowIfNull(pointForecasts);
        if (Offsets.Length != pointForecasts.Count)
            throw new ArgumentException($"{Offsets.Length} days of residuals for {pointForecasts.Count} forecast days");
        return pointForecasts.Select((point, day) => ConformalQuantiles.Around(Offsets[day], point)).ToArray();
    }
}
