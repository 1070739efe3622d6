namespace Distillery.Training;

/// <summary>Per-pass losses. Each value is a sum over windows of each window's mean squared error, as the study reports.</summary>
public sealed record LossCurves(double[] Train, double[] Test, double[]? TestVsTruth = null)
{
    public double FinalTrain => Train.Length == 0 ? double.NaN : Train[^1];
    public double FinalTest => Test.Length == 0 ? double.NaN : Test[^1];
    public double? FinalTestVsTruth => TestVsTruth is { Length: > 0 } t ? t[^1] : null;
}
