namespace Distillery.Training;

/// <summary>Per-pass losses. Each value is a sum over windows of each window's mean squared error, as the study reports.
/// With early stopping, <see cref="Validation"/> is the validation loss of each pass run and <see cref="BestPass"/>
/// (1-based) the pass whose weights were kept: the final losses are that pass's.</summary>
public sealed record LossCurves(double[] Train, double[] Test, double[]? TestVsTruth = null, double[]? Validation = null, int? BestPass = null)
{
    public double FinalTrain => Train.Length == 0 ? double.NaN : Final(Train);
    public double FinalTest => Test.Length == 0 ? double.NaN : Final(Test);
    public double? FinalTestVsTruth => TestVsTruth is { Length: > 0 } t ? Final(t) : null;

    /// <summary>A curve's value at the pass whose weights the model ends with (the last, or the best).</summary>
    private double Final(double[] curve) => BestPass is { } best ? curve[best - 1] : curve[^1];
}
