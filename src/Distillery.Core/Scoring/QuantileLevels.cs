namespace Distillery.Scoring;

/// <summary>
/// The 23 quantile levels the US COVID-19 Forecast Hub asks for (0.01, 0.025, every 0.05 from 0.05 to 0.95, 0.975,
/// 0.99), ascending, and the 11 central intervals they form around the median (α = 0.02, 0.05, 0.1, 0.2, …, 0.9).
/// </summary>
public static class QuantileLevels
{
    // Literals, not a loop of += 0.05, so each level is the nearest double to its decimal (0.15, not 0.15000000000000002).
    private static readonly double[] LevelValues =
    [
        0.01, 0.025, 0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50,
        0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95, 0.975, 0.99,
    ];

    private static readonly double[] Alphas = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

    /// <summary>The 23 levels, ascending.</summary>
    public static IReadOnlyList<double> Levels { get; } = Array.AsReadOnly(LevelValues);

    /// <summary>How many levels there are (23).</summary>
    public static int Count => LevelValues.Length;

    /// <summary>The index of the median (0.5) in <see cref="Levels"/>.</summary>
    public static int MedianIndex { get; } = Array.IndexOf(LevelValues, 0.5);

    /// <summary>The 11 central intervals, widest (α = 0.02) first: level k pairs with level 22 − k.</summary>
    public static IReadOnlyList<CentralInterval> Intervals { get; } =
        Array.AsReadOnly(Alphas.Select((alpha, k) => new CentralInterval(alpha, k, LevelValues.Length - 1 - k)).ToArray());

    /// <summary>The central interval of nominal coverage <paramref name="coverage"/> (0.5, 0.95, …; 1 − α).</summary>
    public static CentralInterval Interval(double coverage)
    {
        foreach (var interval in Intervals)
            if (Math.Abs(interval.Coverage - coverage) < 1e-9) return interval;
        throw new ArgumentOutOfRangeException(nameof(coverage), coverage,
            "not a central interval of the Hub's levels (0.1, 0.2, …, 0.9, 0.95, 0.98)");
    }
}
