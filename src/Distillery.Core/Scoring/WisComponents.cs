namespace Distillery.Scoring;

/// <summary>
/// The weighted interval score split as the Forecast Hub reports it: <see cref="Dispersion"/> (the weighted interval
/// widths, the Hub's "sharpness"), <see cref="Underprediction"/> (penalties for a truth above the upper bounds and the
/// median) and <see cref="Overprediction"/> (below the lower bounds and the median). They add up to <see cref="Total"/>.
/// </summary>
public sealed record WisComponents(double Dispersion, double Underprediction, double Overprediction)
{
    /// <summary>The weighted interval score.</summary>
    public double Total => Dispersion + Underprediction + Overprediction;
}
