using Distillery.Models;
using Distillery.Experiments;

namespace Distillery.Reports;

/// <summary>One row of the study's "Figure 5" table, as display text.</summary>
public sealed record TableRow(string Model, string TrainedAgainst, string Parameters, string Train, string TrainDiff,
    string Test, string TestDiff, string Inference);

public static class ReportTable
{
    public static readonly string[] Header =
    [
        "Model", "Trained against", "Parameters", "Train loss", "Δ train vs teacher",
        "Test loss", "Δ test vs teacher", "Inference per window",
    ];

    public static IReadOnlyList<TableRow> Rows(RunResults results, InferenceTiming teacherTiming, InferenceTiming studentTiming)
    {
        var teacher = Summary(results, ModelKind.Teacher);
        var student = Summary(results, ModelKind.Student);
        var fnn = Summary(results, ModelKind.Fnn);
        var teacherParams = results.Params.TryGetValue(ModelKind.Teacher, out var tp) ? ReportFormat.Count(tp) : ReportFormat.Missing;
        var studentParams = results.Params.TryGetValue(ModelKind.Student, out var sp) ? ReportFormat.Count(sp) : ReportFormat.Missing;
        var vsTruth = results.StudentTestVsTruth;
        return
        [
            new("LSTM teacher", "true targets", teacherParams,
                ReportFormat.MeanSem(teacher.MeanTrain, teacher.SemTrain), ReportFormat.Missing,
                ReportFormat.MeanSem(teacher.MeanTest, teacher.SemTest), ReportFormat.Missing,
                ReportFormat.Microseconds(teacherTiming.MedianMicroseconds)),
            new("Distilled student", "teacher outputs", studentParams,
                ReportFormat.MeanSem(student.MeanTrain, student.SemTrain), ReportFormat.Difference(student.MeanTrain, teacher.MeanTrain),
                ReportFormat.MeanSem(student.MeanTest, student.SemTest), ReportFormat.Difference(student.MeanTest, teacher.MeanTest),
                ReportFormat.Microseconds(studentTiming.MedianMicroseconds)),
            new("Distilled student, test vs truth", "(test only, on true targets)", studentParams,
                ReportFormat.Missing, ReportFormat.Missing,
                ReportFormat.MeanSem(vsTruth.Mean, vsTruth.Sem), ReportFormat.Difference(vsTruth.Mean, teacher.MeanTest),
                ReportFormat.Missing),
            new("FNN (no teacher)", "true targets", studentParams,
                ReportFormat.MeanSem(fnn.MeanTrain, fnn.SemTrain), ReportFormat.Difference(fnn.MeanTrain, teacher.MeanTrain),
                ReportFormat.MeanSem(fnn.MeanTest, fnn.SemTest), ReportFormat.Difference(fnn.MeanTest, teacher.MeanTest),
                "as the student"),
        ];
    }

    private static ModelSummary Summary(RunResults results, ModelKind key) =>
        results.Summary.TryGetValue(key, out var s) ? s : new ModelSummary(double.NaN, double.NaN, double.NaN, double.NaN);
}
