namespace Distillery.Training;

public readonly record struct PassReport(int Pass, int Passes, double TrainLoss, double TestLoss);
