namespace Distillery.Training;

/// <summary>One finished pass (1-based, of <paramref name="Passes"/>) and its losses, for progress reports.</summary>
public readonly record struct PassReport(int Pass, int Passes, double TrainLoss, double TestLoss);
