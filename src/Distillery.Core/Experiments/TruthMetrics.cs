namespace Distillery.Experiments;

/// <summary>
/// Accuracy against the true target on a fold's test windows. <c>mse</c> is on the [0, 1]-scaled target, the mean
/// over windows of each window's MSE (the study's loss divided by the window count); MAE and RMSE are in
/// patients/day (inverse-scaled), overall and MAE per horizon day 1…outputDays; MASE is the MAE divided by the
/// persistence baseline's MAE on the same windows (below 1 beats "tomorrow looks like today").
/// </summary>
public sealed record TruthMetrics(double Mse, double Mae, double Rmse, double Mase, double[] MaeByHorizon);

