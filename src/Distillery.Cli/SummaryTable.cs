using System.Globalization;
using Distillery.Experiments;
using Distillery.Models;

namespace Distillery.Cli;

public static class SummaryTable
{
    public static void Write(TextWriter w, RunResults r)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        static string F1(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        w.WriteLine();
        var teacher = r.BestTeacherFold > 0 ? $"best teacher fold {r.BestTeacherFold}" : "each fold's own teacher";
        w.WriteLine($"Run {r.RunId} {r.Part}: {r.Location}, {r.Protocol} protocol, {r.Dataset.Windows} windows, {r.Folds.Count} folds, {teacher}");
        w.WriteLine("Losses: sum over windows of each window's MSE (scaled target), mean ± SEM over folds.");
        w.WriteLine($"{"model",-22} {"params",9} {"train",17} {"test",17}");
        foreach (var kind in ModelKinds.All)
        {
            var s = r.Summary[kind];
            var label = $"{Label(kind)} ({(kind.LearnsFromTeacher() ? "vs teacher" : "vs truth")})";
            w.WriteLine($"{label,-22} {Parameters(r, kind),9:N0} {F(s.MeanTrain) + " ± " + F(s.SemTrain),17} {F(s.MeanTest) + " ± " + F(s.SemTest),17}");
        }
        w.WriteLine($"{"student (vs truth)",-22} {Parameters(r, ModelKind.Student),9:N0} {"",17} {F(r.StudentTestVsTruth.Mean) + " ± " + F(r.StudentTestVsTruth.Sem),17}");
        if (r.Truth.Count > 0)
        {
            w.WriteLine("Against the truth on the test windows (patients/day), mean ± SEM over folds:");
            w.WriteLine($"{"model",-22} {"MAE",17} {"RMSE",17} {"MASE",15}");
            foreach (var (key, t) in r.Truth)
                w.WriteLine($"{key,-22} {F1(t.Mae.Mean) + " ± " + F1(t.Mae.Sem),17} {F1(t.Rmse.Mean) + " ± " + F1(t.Rmse.Sem),17} {F(t.Mase.Mean) + " ± " + F(t.Mase.Sem),15}");
        }
        foreach (var p in r.Sweep)
            w.WriteLine($"  sweep {p.Name,-14} hidden {p.Hidden,4} × {p.Layers}  {p.Parameters,9:N0} params  MAE {F1(p.Truth.Mae.Mean)} ± {F1(p.Truth.Mae.Sem)}");
        w.WriteLine(string.Join(", ", r.Timings.Select(t => $"{t.Key} {t.Value:0.0} s")));
    }

    private static string Label(ModelKind kind) => kind switch
    {
        ModelKind.Teacher or ModelKind.Student => kind.Name(),
        ModelKind.Fnn => "FNN",
    };

    /// <summary>results.json counts the parameters of each architecture once (the FNN is the student's net).</summary>
    private static long Parameters(RunResults r, ModelKind kind) => kind.Architecture() switch
    {
        Architecture.Lstm => r.Params[ModelKind.Teacher],
        Architecture.FeedForward => r.Params[ModelKind.Student],
    };
}
