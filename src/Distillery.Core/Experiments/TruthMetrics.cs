using System.Text.Json.Serialization;

namespace Distillery.Experiments;

/// <summary>
/// Accuracy against the true target on a fold's test windows. <c>mse</c> is on the [0, 1]-scaled target, the mean
/// over windows of each window's MSE (the study's loss divided by the window count); MAE and RMSE are in
/// patients/day (inverse-scaled), overall and MAE per horizon day 1…outputDays; MASE is the MAE divided by the
/// persistence baseline's MAE on the same windows (below 1 beats "tomorrow looks like today").
/// The probabilistic scores (see <see cref="ProbabilisticEvaluation"/>) exist only when they can be computed honestly
/// (a validation block to calibrate on); otherwise null and not written, so the JSON is as it always was.
/// </summary>
public sealed record TruthMetrics(double Mse, double Mae, double Rmse, double Mase, double[] MaeByHorizon)
{
    /// <summary>Mean over windows of the window's WIS (mean over horizon days), in patients/day.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Wis { get; init; }

    /// <summary>Mean WIS over the Hub baseline's on the same windows (below 1 beats it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RelativeWis { get; init; }

    /// <summary>Fraction of (window, day) pairs whose truth lies in the central 50 % interval.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Coverage50 { get; init; }

    /// <summary>Fraction of (window, day) pairs whose truth lies in the central 95 % interval.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Coverage95 { get; init; }

    /// <summary>MASE on the fold's validation block (held out of training, never test windows): what tuning reads.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationMase { get; init; }
}
