using System.Text.Json;
using Distillery.Experiments;
using Distillery.Reports;
using Distillery.Storage;

namespace Distillery.Tests.Reports;

/// <summary>The verdict paragraph and the probabilistic-scores table, on the golden fixture's study results changed
/// to the case at hand (the fixtures have no WIS: the table is checked here, not in the golden pages).</summary>
public class ReportVerdictTests
{
    private static RunResults Study()
    {
        var path = Path.Combine(RepoPaths.Fixture("report"), "golden-both", "study", "results.json");
        return JsonSerializer.Deserialize<RunResults>(File.ReadAllBytes(path), ArtifactStoreJson.Options)!;
    }

    private static ReportView View(RunResults results)
    {
        var record = JsonSerializer.Deserialize<ReportRecord>(
            File.ReadAllBytes(Path.Combine(RepoPaths.Fixture("report"), "golden-both", "study", "report.json")), ArtifactStoreJson.Options)!;
        return ReportView.Build(results, record, [], []);
    }

    private static TruthSummary Scored(TruthSummary t, double wis, double rel, double c50, double c95) => t with
    {
        Wis = new MeanSem(wis, 1), RelativeWis = new MeanSem(rel, 0.01), Coverage50 = new MeanSem(c50, 0.02), Coverage95 = new MeanSem(c95, 0.03),
    };

    [Fact]
    public void With_wis_the_table_has_a_row_per_model_and_the_hub_and_says_who_beats_the_hub()
    {
        var study = Study();
        var truth = new Dictionary<string, TruthSummary>(study.Truth)
        {
            ["teacher"] = Scored(study.Truth["teacher"], 40, 0.8, 0.45, 0.9),
            ["student"] = Scored(study.Truth["student"], 45, 0.9, 0.5, 0.93),
            ["fnn"] = Scored(study.Truth["fnn"], 60, 1.2, 0.3, 0.8),
            [Evaluation.HubName] = Scored(study.Truth[Evaluation.PersistenceName], 50, 1, 0.55, 0.96),
        };
        var view = View(study with { Truth = truth });

        var table = Assert.IsType<TableView>(view.Probabilistic);
        Assert.Equal(["Model", "WIS (patients/day)", "Relative WIS (vs Hub)", "50 % coverage", "95 % coverage"], table.Header);
        Assert.Equal([
            ["Teacher", "40.00 ± 1.0", "0.8000 ± 0.010", "0.4500 ± 0.020", "0.9000 ± 0.030"],
            ["Distilled student", "45.00 ± 1.0", "0.9000 ± 0.010", "0.5000 ± 0.020", "0.9300 ± 0.030"],
            ["FNN", "60.00 ± 1.0", "1.200 ± 0.010", "0.3000 ± 0.020", "0.8000 ± 0.030"],
            ["Hub baseline", "50.00 ± 1.0", "1.000 ± 0.010", "0.5500 ± 0.020", "0.9600 ± 0.030"],
        ], table.Rows.Select(r => r.ToArray()).ToArray());
        Assert.Equal("Mean relative WIS below 1 (better than the Hub baseline): Teacher (0.8000 ± 0.010), Distilled student (0.9000 ± 0.010); not below 1: FNN.",
            view.ProbabilisticNote);
        var md = ReportTemplates.Markdown(view);
        Assert.Contains("### Probabilistic scores", md);
        Assert.Contains("| Hub baseline | 50.00 ± 1.0 | 1.000 ± 0.010 | 0.5500 ± 0.020 | 0.9600 ± 0.030 |", md);
        Assert.Contains("<h3>Probabilistic scores</h3>", ReportTemplates.Html(view));
    }

    [Fact]
    public void Without_wis_there_is_no_table()
    {
        var view = View(Study());
        Assert.Null(view.Probabilistic);
        Assert.Null(view.ProbabilisticNote);
        Assert.DoesNotContain("Probabilistic scores", ReportTemplates.Markdown(view));
        Assert.DoesNotContain("Probabilistic scores", ReportTemplates.Html(view));
    }

    [Fact]
    public void When_nothing_beats_persistence_the_verdict_says_so()
    {
        var study = Study();
        var truth = study.Truth.ToDictionary(t => t.Key, t => t.Value with { Mase = new MeanSem(Math.Max(1, t.Value.Mase.Mean + 1), 0.1) });
        var verdict = View(study with { Truth = truth }).Verdict!;
        Assert.StartsWith("No model beats persistence (MASE ≥ 1): the naive forecast is better on these folds.", verdict);
    }

    [Fact]
    public void The_verdict_names_the_models_beating_persistence_and_the_distillation_test()
    {
        var study = Study();
        var verdict = View(study).Verdict!;
        var beat = study.Truth.Where(t => t.Key != Evaluation.PersistenceName && t.Value.Mase.Mean < 1).ToList();
        Assert.Equal(beat.Count == 0, verdict.StartsWith("No model beats persistence", StringComparison.Ordinal));
        Assert.Contains("student − FNN MAE = ", verdict);
        Assert.Contains($"of {study.Folds.Count} folds, Wilcoxon p = ", verdict);
        // Five folds cannot reach 0.05, so the report may not claim a difference.
        if (study.Folds.Count <= 5) Assert.Contains("Distillation made no clear difference", verdict);
        Assert.Null(View(study with { Truth = new Dictionary<string, TruthSummary>() }).Verdict);
    }
}
