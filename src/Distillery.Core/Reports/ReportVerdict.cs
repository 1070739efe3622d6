using System.Globalization;
using Distillery.Experiments;
using Distillery.Models;

namespace Distillery.Reports;

/// <summary>The plain-words verdict under the truth table and the probabilistic-scores table: the one place their
/// strings are built, so the HTML and the Markdown say the same.</summary>
internal static class ReportVerdict
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Below this the report may say "helped" or "hurt"; at or above it only "no clear difference".</summary>
    public const double Significance = 0.05;

    public static string? Verdict(RunResults results)
    {
        if (results.Truth.Count == 0) return null;
        var sentences = new List<string> { Persistence(results) };
        if ((results.Distillation ?? DistillationComparison.Of(results.Folds)) is { } c) sentences.Add(Distillation(c));
        return string.Join(" ", sentences);
    }

    private static string Persistence(RunResults results)
    {
        var others = results.Truth.Where(t => t.Key != Evaluation.PersistenceName).ToList();
        var beat = others.Where(t => t.Value.Mase.Mean < 1).OrderBy(t => t.Value.Mase.Mean).ToList();
        if (beat.Count == 0) return "No model beats persistence (MASE ≥ 1): the naive forecast is better on these folds.";
        static string Item(KeyValuePair<string, TruthSummary> t) => string.Create(Inv,
            $"{ReportModels.DisplayName(t.Key)} (MASE {ReportFormat.MeanSem(t.Value.Mase.Mean, t.Value.Mase.Sem)}, " +
            $"{(1 - t.Value.Mase.Mean) * 100:F1} % below persistence's MAE)");
        var rest = others.Where(t => t.Value.Mase.Mean >= 1).Select(t => ReportModels.DisplayName(t.Key)).ToList();
        return $"Beat persistence on MASE (mean < 1): {string.Join(", ", beat.Select(Item))}." +
               (rest.Count == 0 ? "" : $" Not better than persistence (MASE ≥ 1): {string.Join(", ", rest)}.");
    }

    private static string Distillation(DistillationComparison c)
    {
        var clear = c.WilcoxonP < Significance;
        var outcome = !clear ? "made no clear difference" : c.Difference.Mean < 0 ? "helped" : "hurt";
        var p = c.WilcoxonApproximate
            ? $"Wilcoxon p ≈ {ReportFormat.Number(c.WilcoxonP, 2)} (normal approximation, more than {DistillationComparison.ExactLimit} folds)"
            : $"Wilcoxon p = {ReportFormat.Number(c.WilcoxonP, 2)}";
        var text = string.Create(Inv,
            $"Distillation {outcome}: student − FNN MAE = {SignedMeanSem(c.Difference)} patients/day, " +
            $"student better on {c.StudentWins} of {c.Folds} folds, {p}, sign test p = {ReportFormat.Number(c.SignTestP, 2)}.");
        // With few folds even a unanimous result cannot reach the threshold: say so, not only "no difference".
        if (!clear && c.SmallestPossibleP >= Significance)
            text += string.Create(Inv, $" With {c.Folds} folds no result could reach p < {Significance}.");
        return text;
    }

    /// <summary>A difference's sign matters: "+1.234 ± 0.56", "−1.234 ± 0.56", as the Δ columns write it.</summary>
    private static string SignedMeanSem(MeanSem d) =>
        !double.IsFinite(d.Mean) ? ReportFormat.Missing : double.IsFinite(d.Sem) ? $"{ReportFormat.Signed(d.Mean)} ± {ReportFormat.Number(d.Sem, 2)}" : ReportFormat.Signed(d.Mean);

    private static readonly string[] ProbabilisticHeader =
        ["Model", "WIS (patients/day)", "Relative WIS (vs Hub)", "50 % coverage", "95 % coverage"];

    private static readonly string[] ProbabilisticModels = [.. ModelKinds.All.Select(k => k.Name()), Evaluation.PersistenceName, Evaluation.HubName];

    /// <summary>The teacher's, student's, FNN's, persistence's and Hub baseline's scores, when the run scored them; null otherwise.</summary>
    public static TableView? Probabilistic(RunResults results)
    {
        var scored = ProbabilisticModels.Where(m => results.Truth.TryGetValue(m, out var t) && t.Wis is not null)
            .Select(m => (Model: m, Truth: results.Truth[m])).ToList();
        if (scored.Count == 0) return null;
        static string Of(MeanSem? v) => v is null ? ReportFormat.Missing : ReportFormat.MeanSem(v.Mean, v.Sem);
        return new TableView(
            "Weighted interval score (WIS, lower is better) and the share of the truth inside the central 50 % and 95 % intervals " +
            "(nominal 0.5 and 0.95), on each fold's test windows, mean ± SEM over folds; relative WIS is the WIS over the Hub baseline's on the same windows. " +
            "Every model's quantiles, persistence's too, are split conformal: its residuals per horizon day on the fold's validation block (held out of training) around its forecast; " +
            "the Hub baseline has the median of persistence and the spread of past day-to-day changes.",
            ProbabilisticHeader,
            scored.Select(s => (IReadOnlyList<string>)[ReportModels.DisplayName(s.Model), Of(s.Truth.Wis), Of(s.Truth.RelativeWis),
                Of(s.Truth.Coverage50), Of(s.Truth.Coverage95)]).ToList(),
            LabelColumns: 1);
    }

    /// <summary>One sentence: which models' relative WIS is below 1 (better intervals than the Hub baseline).</summary>
    public static string? ProbabilisticNote(RunResults results)
    {
        var models = ModelKinds.All.Where(k => results.Truth.TryGetValue(k.Name(), out var t) && t.RelativeWis is not null)
            .Select(k => (Kind: k, Rel: results.Truth[k.Name()].RelativeWis!)).ToList();
        if (models.Count == 0) return null;
        var below = models.Where(m => m.Rel.Mean < 1).ToList();
        return below.Count == 0
            ? "No model's mean relative WIS is below 1: the Hub baseline's intervals score better on these folds."
            : "Mean relative WIS below 1 (better than the Hub baseline): " +
                $"{string.Join(", ", below.Select(m => $"{ReportModels.DisplayName(m.Kind)} ({ReportFormat.MeanSem(m.Rel.Mean, m.Rel.Sem)})"))}" +
                (below.Count == models.Count ? "." : $"; not below 1: {string.Join(", ", models.Except(below).Select(m => ReportModels.DisplayName(m.Kind)))}.");
    }
}
