using System.Globalization;
using Distillery.Experiments;

namespace Distillery.Cli;

public static class SummaryTable
{
    public static void Write(TextWriter w, RunResults r)
    {
        static string F(double v) => v.ToString("0.000", CultureInfo.InvariantCulture);
        w.WriteLine();
        w.WriteLine($"Run {r.RunId}: {r.Dataset.Windows} windows, {r.Folds.Count} folds, best teacher fold {r.BestTeacherFold}");
        w.WriteLine("Losses: sum over windows of each window's MSE (scaled target), mean ± SEM over folds.");
        w.WriteLine($"{"model",-22} {"params",9} {"train",17} {"test",17}");
        foreach (var (key, label) in new[] { ("teacher", "teacher (vs truth)"), ("student", "student (vs teacher)"), ("fnn", "FNN (vs truth)") })
        {
            var s = r.Summary[key];
            var parameters = key == "teacher" ? r.Params["teacher"] : r.Params["student"];
            w.WriteLine($"{label,-22} {parameters,9:N0} {F(s.MeanTrain) + " ± " + F(s.SemTrain),17} {F(s.MeanTest) + " ± " + F(s.SemTest),17}");
        }
        w.WriteLine($"{"student (vs truth)",-22} {r.Params["student"],9:N0} {"",17} {F(r.StudentTestVsTruth.Mean) + " ± " + F(r.StudentTestVsTruth.Sem),17}");
        w.WriteLine(string.Join(", ", r.Timings.Select(t => $"{t.Key} {t.Value:0.0} s")));
    }
}
