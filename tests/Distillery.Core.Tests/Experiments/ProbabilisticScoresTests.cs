using Distillery.Experiments;
using Distillery.Models;
using Distillery.Scoring;
using Distillery.Storage;

namespace Distillery.Tests.Experiments;

/// <summary>WIS, relative WIS and coverage in results.json: present with a validation block to calibrate on, absent
/// (the JSON as it was) without one.</summary>
public class ProbabilisticScoresTests
{
    [Fact]
    public void A_point_forecast_as_quantiles_scores_its_absolute_error_and_covers_only_an_exact_hit()
    {
        var point = QuantileForecast.Monotone(Enumerable.Repeat(10.0, QuantileLevels.Count).ToArray());
        var scores = ProbabilisticEvaluation.Score([[point, point]], [[13.0, 10.0]]);
        Assert.Equal(1.5, Assert.Single(scores.WindowWis), 12);
        Assert.Equal(0.5, scores.Coverage50);
        Assert.Equal(0.5, scores.Coverage95);
    }

    [Fact]
    public async Task With_early_stopping_every_model_and_the_hub_baseline_are_scored_and_summarised()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var run = await TinyRun.RunStepsAsync(steps, "wis-on", TinyRun.Settings(epochs: 3) with { EarlyStoppingPatience = 2 });
        var results = (await steps.Store.ReadJsonAsync<RunResults>(run.ResultsPath))!;
        foreach (var fold in results.Folds)
        {
            var hub = fold.Baselines![Evaluation.HubName];
            var persistence = fold.Baselines[Evaluation.PersistenceName];
            Assert.Equal(persistence.Mae, hub.Mae);
            Assert.Equal(1.0, hub.RelativeWis);
            Assert.True(hub.Wis > 0);
            // Persistence is calibrated on its validation residuals like the models: its own WIS, against the same hub.
            Assert.True(persistence.Wis > 0);
            Assert.Equal(persistence.Wis!.Value / hub.Wis!.Value, persistence.RelativeWis!.Value, 12);
            foreach (var kind in ModelKinds.All)
            {
                var truth = fold[kind].Truth!;
                Assert.True(truth.Wis > 0, $"{kind} fold {fold.Fold} wis {truth.Wis}");
                Assert.InRange(truth.Coverage50!.Value, 0, 1);
                Assert.InRange(truth.Coverage95!.Value, truth.Coverage50.Value, 1);
                Assert.True(truth.RelativeWis > 0);
                // Both means are over the same test windows: the ratio of the fold's WIS to the hub's.
                Assert.Equal(truth.Wis!.Value / hub.Wis!.Value, truth.RelativeWis!.Value, 12);
            }
        }
        foreach (var name in ModelKinds.All.Select(k => k.Name()).Append(Evaluation.HubName).Append(Evaluation.PersistenceName))
        {
            var summary = results.Truth[name];
            Assert.Equal(Statistics.Mean(results.Folds.Select(f => Metrics(f, name).Wis!.Value).ToList()), summary.Wis!.Mean, 12);
            Assert.NotNull(summary.RelativeWis);
            Assert.NotNull(summary.Coverage50);
            Assert.NotNull(summary.Coverage95);
        }
        Assert.Equal(1.0, results.Truth[Evaluation.HubName].RelativeWis!.Mean, 12);
        Assert.Null(results.Truth[Evaluation.InputMeanName].Wis);
    }

    [Fact]
    public async Task Without_early_stopping_no_probabilistic_property_is_written()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var run = await TinyRun.RunStepsAsync(steps, "wis-off", TinyRun.Settings(epochs: 1));
        var results = (await steps.Store.ReadJsonAsync<RunResults>(run.ResultsPath))!;
        Assert.All(results.Folds, f => Assert.Equal(Evaluation.BaselineNames, f.Baselines!.Keys));
        Assert.All(results.Folds, f => Assert.All(ModelKinds.All, k => Assert.Null(f[k].Truth!.Wis)));
        async Task<string> Text(string path) => System.Text.Encoding.UTF8.GetString((await steps.Store.ReadAsync(path))!);
        var text = await Text(run.ResultsPath) + await Text("runs/wis-off/curves/student-fold1.json");
        foreach (var property in new[] { "\"wis\"", "\"relativeWis\"", "\"coverage50\"", "\"coverage95\"", "\"hub\"" })
            Assert.DoesNotContain(property, text);
    }

    private static TruthMetrics Metrics(FoldResult fold, string name) =>
        fold.Baselines!.TryGetValue(name, out var baseline) ? baseline : fold[ModelKinds.All.Single(k => k.Name() == name)].Truth!;
}
