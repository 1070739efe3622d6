using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Tests.Experiments;

public class BeyondTheStudyTests
{
    [Theory]
    [InlineData(381, 5, 10, 14)]
    [InlineData(100, 3, 5, 3)]
    [InlineData(57, 2, 10, 14)]
    public void Leakage_free_folds_share_no_day_between_training_and_test_windows(int windows, int k, int inputDays, int outputDays)
    {
        var folds = BlockedFolds.Split(windows, k, inputDays, outputDays);
        Assert.Equal(k, folds.Length);
        Assert.Equal(Enumerable.Range(0, windows), folds.SelectMany(f => f.TestIndices).Order());
        foreach (var fold in folds)
        {
            var testDays = fold.TestIndices.SelectMany(w => Enumerable.Range(w, inputDays + outputDays)).ToHashSet();
            var trainDays = fold.TrainIndices.SelectMany(w => Enumerable.Range(w, inputDays + outputDays)).ToHashSet();
            Assert.Empty(testDays.Intersect(trainDays));
            Assert.NotEmpty(fold.TrainIndices);
            // Contiguous test block in time.
            Assert.Equal(fold.TestIndices.Length - 1, fold.TestIndices[^1] - fold.TestIndices[0]);
        }
    }

    [Fact]
    public void Too_few_windows_for_leakage_free_folds_is_named()
    {
        var e = Assert.Throws<InvalidInputException>(() => BlockedFolds.Split(30, 2, 10, 14));
        Assert.Contains("leakage-free", e.Message);
    }

    [Fact]
    public async Task Leakage_free_scaler_and_features_come_from_training_rows_only()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings() with { Protocol = EvaluationProtocol.LeakageFree.Name, Folds = 3 };
        await steps.Prepare.RunAsync(new PrepareRequest("lf", settings));
        var layout = new RunLayout("lf");
        var raw = DataSource.LoadFile(RepoPaths.UsFl);
        var dates = raw.Rows.Select(r => r[raw.ColumnIndex("date")]).ToArray();
        for (var fold = 1; fold <= 3; fold++)
        {
            var (meta, matrix) = await new RunArtifacts(steps.Store, layout).FoldDatasetAsync(EvaluationProtocol.LeakageFree, fold, default);
            var split = Assert.Single(meta.Folds);
            var (first, last) = BlockedFolds.TestRows(split, 10, 14);
            var testDates = meta.Dates.Skip(first).Take(last - first + 1).ToHashSet();
            var trainRows = raw with { Rows = raw.Rows.Where((_, i) => !testDates.Contains(dates[i])).ToArray(), LineNumbers = null };
            var expected = StudyCleaning.Clean(trainRows, settings.Target);
            Assert.Equal(expected.Features, meta.Features);
            Assert.Equal(expected.Min, meta.Min);
            Assert.Equal(expected.Max, meta.Max);
            // Training rows scale into [0, 1]; test rows use the training scaler as they are.
            var f = meta.Features.Count;
            for (var r = 0; r < meta.Rows; r++)
                if (r < first || r > last)
                    for (var c = 0; c < f; c++) Assert.InRange(matrix[r * f + c], -1e-12, 1 + 1e-12);
        }
    }

    [Fact]
    public async Task Alpha_zero_is_the_studys_student_and_alpha_one_the_fnn_to_the_last_bit()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings(epochs: 1);
        await steps.Prepare.RunAsync(new PrepareRequest("alpha", settings));
        await steps.TrainTeacher.RunAsync(new TrainRequest("alpha", settings, ModelKind.Teacher, 1));
        var fnn = await Outcome(steps, "alpha", settings, ModelKind.Fnn);
        var study = await Outcome(steps, "alpha", settings, ModelKind.Student);

        using var other = new TempDir();
        var steps2 = TinyRun.Steps(other.Path);
        foreach (var alpha in new[] { 0.0, 1.0 })
        {
            var run = $"alpha{alpha:0}";
            var blended = settings with { Alpha = alpha };
            await steps2.Prepare.RunAsync(new PrepareRequest(run, blended));
            await steps2.TrainTeacher.RunAsync(new TrainRequest(run, blended, ModelKind.Teacher, 1));
            var student = await Outcome(steps2, run, blended, ModelKind.Student);
            var reference = alpha == 0 ? study : fnn;
            Assert.Equal(reference.Train, student.Train);
            Assert.Equal(reference.Truth!.Mse, student.Truth!.Mse);
        }

        static async Task<TrainingOutcome> Outcome(ExperimentSteps s, string run, ExperimentSettings settings, ModelKind kind)
        {
            await s.TrainStudent.RunAsync(new TrainRequest(run, settings, kind, 1, 1));
            return (await s.Store.ReadJsonAsync<TrainingOutcome>(new RunLayout(run).Outcome(kind, 1)))!;
        }
    }

    [Fact]
    public void Baselines_and_mase_match_values_computed_by_hand()
    {
        // One feature (the target), 6 rows scaled 0..1 from raw 10..60; 2 input days → 2 output days.
        var meta = new DatasetArtifact
        {
            Source = "hand", Target = "t", Rows = 6, Windows = 2, InputDays = 2, OutputDays = 2, Features = ["t"],
            Min = [10], Max = [60], FirstDate = "2020-01-01", LastDate = "2020-01-06", Dates = [], TargetIndex = 0,
        };
        double[] matrix = [0.0, 0.2, 0.4, 0.2, 1.0, 0.6]; // raw 10, 20, 30, 20, 60, 40
        var windows = new[] { 0, 1 };
        // Window 0: inputs 10, 20 → truth 30, 20. Window 1: inputs 20, 30 → truth 20, 60.
        var baselines = Evaluation.Baselines(meta, matrix, windows);
        // Persistence: 20,20 vs 30,20 → |10|,|0|; 30,30 vs 20,60 → |10|,|30|: MAE 12.5, RMSE √((100+0+100+900)/4) = √275,
        // MAE by horizon: day 1 (10 + 10)/2 = 10, day 2 (0 + 30)/2 = 15.
        Assert.Equal(12.5, baselines["persistence"].Mae, 9);
        Assert.Equal(Math.Sqrt(275), baselines["persistence"].Rmse, 9);
        Assert.Equal([10.0, 15.0], baselines["persistence"].MaeByHorizon.Select(v => Math.Round(v, 9)));
        Assert.Equal(1.0, baselines["persistence"].Mase, 12);
        // Input mean: 15,15 vs 30,20 → 15,5; 25,25 vs 20,60 → 5,35: MAE 15, MASE 15 / 12.5 = 1.2.
        Assert.Equal(15, baselines["inputMean"].Mae, 9);
        Assert.Equal(1.2, baselines["inputMean"].Mase, 9);
        // Scaled MSE of persistence: diffs 0.2, 0, 0.2, 0.6 → (0.04 + 0 + 0.04 + 0.36) / 4 = 0.11.
        Assert.Equal(0.11, baselines["persistence"].Mse, 12);
    }
}
