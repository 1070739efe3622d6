using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Tests.Experiments;

/// <summary>The early-stopping validation block: training windows only, the latest of them, the folds' gap.</summary>
public class ValidationSplitTests
{
    private const int Windows = 381, InputDays = 10, OutputDays = 14, Span = InputDays + OutputDays;

    public static TheoryData<string> Protocols => ["blocked", "shuffled"];

    private static FoldSplit[] Folds(string protocol) => protocol == "blocked"
        ? BlockedFolds.Split(Windows, 5, InputDays, OutputDays)
        : KFold.TestFolds(Windows, 5, 22).Select((test, i) => new FoldSplit(i + 1, KFold.TrainIndices(Windows, test), test)).ToArray();

    [Theory]
    [MemberData(nameof(Protocols))]
    public void The_block_is_the_latest_training_windows_never_a_test_window_and_keeps_the_gap(string protocol)
    {
        foreach (var fold in Folds(protocol))
        {
            var (train, validation) = ValidationSplit.Split(fold, 0.2, InputDays, OutputDays);
            Assert.Equal((int)Math.Round(0.2 * fold.TrainIndices.Length, MidpointRounding.AwayFromZero), validation.Length);
            Assert.Empty(validation.Intersect(fold.TestIndices));
            Assert.Subset(fold.TrainIndices.ToHashSet(), validation.ToHashSet());
            Assert.Subset(fold.TrainIndices.ToHashSet(), train.ToHashSet());
            // The latest: every training window after the block's first is in it.
            Assert.All(fold.TrainIndices.Where(w => w >= validation.Min()), w => Assert.Contains(w, validation));
            // The gap: no day of a window trained on is a day of a validation window.
            Assert.All(train, w => Assert.All(validation, v => Assert.True(Math.Abs(w - v) >= Span, $"fold {fold.Fold}: {w} and {v}")));
            // Only the gap is dropped, and the fold's order is kept.
            Assert.Equal(fold.TrainIndices.Where(w => w <= validation.Min() - Span), train);
        }
    }

    [Fact]
    public void Too_few_windows_name_the_fold()
    {
        var fold = new FoldSplit(3, Enumerable.Range(0, 25).ToArray(), Enumerable.Range(25, 5).ToArray());
        var error = Assert.Throws<InvalidInputException>(() => ValidationSplit.Split(fold, 0.2, InputDays, OutputDays));
        Assert.Contains("fold 3", error.Message);
    }

    [Fact]
    public void Settings_off_write_nothing_new_and_on_are_written()
    {
        static JsonElement Json(ExperimentSettings value) => JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(value, ArtifactStoreJson.Options)).RootElement;
        var off = Json(new ExperimentSettings());
        Assert.False(off.TryGetProperty("earlyStoppingPatience", out _));
        Assert.False(off.TryGetProperty("validationFraction", out _));
        Assert.Null(new ExperimentSettings().EarlyStoppingFraction);
        var on = Json(new ExperimentSettings { EarlyStoppingPatience = 5 });
        Assert.Equal(5, on.GetProperty("earlyStoppingPatience").GetInt32());
        Assert.False(on.TryGetProperty("validationFraction", out _));
        Assert.Equal(0.2, new ExperimentSettings { EarlyStoppingPatience = 5 }.EarlyStoppingFraction);
        Assert.Equal(0.3, new ExperimentSettings { EarlyStoppingPatience = 5, ValidationFraction = 0.3 }.EarlyStoppingFraction);
    }

    [Theory]
    [InlineData(0, null, "earlyStoppingPatience")]
    [InlineData(-2, null, "earlyStoppingPatience")]
    [InlineData(5, 0.0, "validationFraction")]
    [InlineData(5, 0.9, "validationFraction")]
    [InlineData(5, double.NaN, "validationFraction")]
    [InlineData(null, 0.2, "validationFraction")]
    public void Bad_values_are_rejected_naming_the_field(int? patience, double? fraction, string field)
    {
        var settings = new ExperimentSettings { EarlyStoppingPatience = patience, ValidationFraction = fraction };
        Assert.Equal(field, Assert.Single(settings.Problems()).Field);
        Assert.Contains(field, Assert.Throws<InvalidInputException>(() => settings.Validated()).Message);
    }

    [Fact]
    public async Task A_run_with_early_stopping_records_the_validation_curve_and_best_pass_and_one_without_does_not()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var on = await TinyRun.RunStepsAsync(steps, "es-on", TinyRun.Settings(epochs: 2) with { EarlyStoppingPatience = 1 });
        var results = (await steps.Store.ReadJsonAsync<RunResults>(on.ResultsPath))!;
        foreach (var kind in ModelKinds.All)
        {
            var curves = results.Folds.Select(f => f[kind]).ToList();
            Assert.All(curves, c => Assert.Equal(c.Train.Length, c.Validation!.Length));
            Assert.All(curves, c => Assert.InRange(c.BestPass!.Value, 1, c.Train.Length));
            // The summary is the kept pass's loss, not the last pass run.
            Assert.Equal(Statistics.Mean(curves.Select(c => c.Test[c.BestPass!.Value - 1]).ToList()), results.Summary[kind].MeanTest, 12);
        }
        async Task<string> Text(string path) => System.Text.Encoding.UTF8.GetString((await steps.Store.ReadAsync(path))!);
        var outcome = await Text("runs/es-on/curves/student-fold1.json");
        Assert.Contains("\"validation\"", outcome);
        Assert.Contains("\"bestPass\"", outcome);

        var off = await TinyRun.RunStepsAsync(steps, "es-off", TinyRun.Settings(epochs: 0));
        var offText = await Text(off.ResultsPath) + await Text("runs/es-off/curves/student-fold1.json");
        Assert.DoesNotContain("validation", offText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("bestPass", offText);
        Assert.DoesNotContain("earlyStopping", offText);
    }
    [Fact]
    public async Task Leakage_free_preprocessing_is_fit_without_the_validation_rows_as_without_the_test_rows()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings() with { Protocol = EvaluationProtocol.LeakageFree.Name, EarlyStoppingPatience = 1 };
        await steps.Prepare.RunAsync(new PrepareRequest("nested", settings));
        var artifacts = new RunArtifacts(steps.Store, new RunLayout("nested"));
        var (meta, matrix) = await artifacts.DatasetAsync(default);
        var raw = Enumerable.Range(0, meta.Rows).Select(r => meta.UnscaleTarget(matrix[r * meta.Features.Count + meta.TargetIndex])).ToArray();
        foreach (var fold in meta.Folds)
        {
            var (_, validation) = ValidationSplit.Split(fold, ExperimentSettings.DefaultValidationFraction, settings.InputDays, settings.OutputDays);
            var (first, last) = BlockedFolds.TestRows(fold, settings.InputDays, settings.OutputDays);
            var seen = Enumerable.Range(0, meta.Rows)
                .Where(r => (r < first || r > last) && (r < validation[0] || r > validation[^1] + Span - 1))
                .Select(r => raw[r]).ToArray();
            var (foldMeta, _) = await artifacts.FoldDatasetAsync(EvaluationProtocol.LeakageFree, fold.Fold, default);
            Assert.Equal(seen.Max(), foldMeta.Max[foldMeta.TargetIndex], 6);
            Assert.Equal(seen.Min(), foldMeta.Min[foldMeta.TargetIndex], 6);
        }
    }
}
