using System.Globalization;
using Distillery.Experiments;

namespace Distillery.Reports;

/// <summary>
/// The charts' texts from the stored results alone, apart from drawing them: the combined report rebuilds a part's
/// pages from its artifacts without running the models again.
/// </summary>
public static class ReportChartTexts
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public sealed record LossTexts(ChartText TeacherTrain, ChartText TeacherTest, ChartText StudentFnnTrain, ChartText StudentFnnTest)
    {
        public IEnumerable<ChartText> All => [TeacherTrain, TeacherTest, StudentFnnTrain, StudentFnnTest];
    }

    public sealed record SweepTexts(ChartText Parameters, ChartText Latency)
    {
        public IEnumerable<ChartText> All => [Parameters, Latency];
    }

    /// <summary>Every chart of the report, in page order: the loss and sweep charts, then one per window.</summary>
    public static (IReadOnlyList<ChartText> Losses, IReadOnlyList<ChartText> Windows) All(RunResults results, DatasetArtifact meta,
        IReadOnlyList<int> windows) =>
        (Losses(results).All.Concat(Sweep(results)?.All ?? []).ToList(), windows.Select(w => Window(results, meta, w)).ToList());

    public static LossTexts Losses(RunResults results)
    {
        var best = results.BestTeacherFold > 0
            ? string.Create(Inv, $" The best teacher (fold {results.BestTeacherFold}) is the one the students were distilled from.")
            : " Each fold's student was distilled from that fold's own teacher (leakage-free protocol).";
        return new(
            new("teacher-train-loss", "Teacher training loss per fold",
                "LSTM teacher: training loss per pass, one line per fold, against the true targets." + best),
            new("teacher-test-loss", "Teacher test loss per fold",
                "LSTM teacher: loss on each fold's held-out windows after each pass, against the true targets." + best),
            new("student-fnn-train-loss", "Distilled student vs FNN: training loss",
                "Training loss per pass: the distilled student (reds, against the teacher's outputs) and the FNN (blues, dashed, against the true targets), every fold."),
            new("student-fnn-test-loss", "Distilled student vs FNN: test loss",
                "Test loss per pass on each fold's held-out windows: the distilled student (reds, against the teacher's outputs) and the FNN (blues, dashed, against the true targets)."));
    }

    /// <summary>The student-size sweep's charts; null without a sweep.</summary>
    public static SweepTexts? Sweep(RunResults results)
    {
        if (results.Sweep.Count == 0) return null;
        var named = results.SmallestStudentWithinTolerance is { } n
            ? string.Create(Inv, $" The smallest student within {results.Settings.SweepTolerance:P0} of the teacher's MAE is {n}.")
            : string.Create(Inv, $" No student is within {results.Settings.SweepTolerance:P0} of the teacher's MAE.");
        return new(
            new("sweep-parameters", "Student size: accuracy vs parameters",
                "Mean test MAE against the truth over the folds, for each student width, against its true parameter count (log scale)." + named),
            new("sweep-latency", "Student size: accuracy vs latency",
                "Mean test MAE against the truth, against the measured latency of one window (batch 1, warm, median)." + named));
    }

    public static ChartText Window(RunResults results, DatasetArtifact meta, int window)
    {
        int inDays = meta.InputDays, outDays = meta.OutputDays;
        var heldOut = HeldOutFold(results, window);
        var caption = string.Create(Inv,
            $"Window {window}: {inDays} input days {Date(meta, window):yyyy-MM-dd} to {Date(meta, window + inDays - 1):yyyy-MM-dd} (grey), " +
            $"the {outDays} true days that follow (black) and every fold's teacher (greens), distilled student (reds, dashed) and FNN (blues, dashed) forecasts, in patients/day. " +
            $"Held out (a test window) in fold {heldOut}, drawn thick.");
        return new(string.Create(Inv, $"window-{window}"), string.Create(Inv, $"Forecasts for window {window}"), caption);
    }

    /// <summary>The fold that holds the window out (a test window), 0 if none.</summary>
    public static int HeldOutFold(RunResults results, int window) =>
        results.Folds.FirstOrDefault(x => x.TestIndices.Contains(window))?.Fold ?? 0;

    public static DateTime Date(DatasetArtifact meta, int row) =>
        DateTime.ParseExact(meta.Dates[row], "yyyy-MM-dd", Inv);
}
