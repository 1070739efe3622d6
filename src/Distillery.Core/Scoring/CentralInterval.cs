namespace Distillery.Scoring;

/// <summary>A central prediction interval of the Hub's quantile set: nominal coverage 1 − <see cref="Alpha"/>, bounded by
/// the quantiles at levels α/2 and 1 − α/2, which sit at <see cref="LowerIndex"/> and <see cref="UpperIndex"/> of
/// <see cref="QuantileLevels.Levels"/>.</summary>
public sealed record CentralInterval(double Alpha, int LowerIndex, int UpperIndex)
{
    /// <summary>The nominal coverage, 1 − α (0.5 for the 50 % interval).</summary>
    public double Coverage => 1.0 - Alpha;
}
