using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;
using static TorchSharp.torch;

namespace Distillery.Tests.Experiments;

public class ExperimentStepsTests
{
    [Fact]
    public async Task Two_passes_on_two_folds_lower_every_models_loss_and_write_results()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var summary = await TinyRun.RunStepsAsync(steps, "lowers", TinyRun.Settings(epochs: 1));
        var results = await steps.Store.ReadJsonAsync<RunResults>(summary.ResultsPath);
        Assert.NotNull(results);
        Assert.Equal("completed", results.Status);
        Assert.Equal(381, results.Dataset.Windows);
        Assert.Equal(523, results.Dataset.Features.Count);
        Assert.Equal(41_029, results.Params[ModelKind.Teacher]);
        Assert.Equal(264_814, results.Params[ModelKind.Student]);
        Assert.Equal(2, results.Folds.Count);
        foreach (var fold in results.Folds)
        {
            Assert.Equal(381, fold.TrainIndices.Length + fold.TestIndices.Length);
            foreach (var curves in new[] { fold[ModelKind.Teacher], fold[ModelKind.Student], fold[ModelKind.Fnn] })
            {
                Assert.Equal(2, curves.Train.Length);
                Assert.True(curves.Train[1] < curves.Train[0], $"train {curves.Train[0]} → {curves.Train[1]}");
            }
            Assert.Equal(2, fold[ModelKind.Student].TestVsTruth!.Length);
        }
        Assert.InRange(results.BestTeacherFold, 1, 2);
        Assert.True(results.StudentTestVsTruth.Mean > 0);
        Assert.Equal(Statistics.Mean(results.Folds.Select(f => f[ModelKind.Fnn].Test[^1]).ToList()), results.Summary[ModelKind.Fnn].MeanTest, 12);
    }

    [Fact]
    public async Task Same_seed_gives_identical_results_and_another_seed_does_not()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var ra = await Results(a.Path, 0);
        var rb = await Results(b.Path, 0);
        var rc = await Results(c.Path, 1);
        for (var i = 0; i < ra.Folds.Count; i++)
        {
            Assert.Equal(ra.Folds[i][ModelKind.Teacher].Train, rb.Folds[i][ModelKind.Teacher].Train);
            Assert.Equal(ra.Folds[i][ModelKind.Student].Test, rb.Folds[i][ModelKind.Student].Test);
            Assert.Equal(ra.Folds[i][ModelKind.Fnn].Train, rb.Folds[i][ModelKind.Fnn].Train);
        }
        Assert.NotEqual(ra.Folds[0][ModelKind.Teacher].Train, rc.Folds[0][ModelKind.Teacher].Train);

        static async Task<RunResults> Results(string root, long seed)
        {
            var steps = TinyRun.Steps(root);
            var summary = await TinyRun.RunStepsAsync(steps, "seeded", TinyRun.Settings(epochs: 0, seed: seed));
            return (await steps.Store.ReadJsonAsync<RunResults>(summary.ResultsPath))!;
        }
    }

    [Fact]
    public async Task A_finished_step_returns_its_stored_result_without_retraining()
    {
        using var dir = new TempDir();
        var counter = new PassCounter();
        var steps = TinyRun.Steps(dir.Path, counter);
        var settings = TinyRun.Settings(epochs: 1);
        await steps.Prepare.RunAsync(new PrepareRequest("again", settings));
        var request = new TrainRequest("again", settings, ModelKind.Teacher, 1);
        var first = await steps.TrainTeacher.RunAsync(request);
        Assert.Equal(2, counter.Passes);
        var second = await steps.TrainTeacher.RunAsync(request);
        Assert.Equal(2, counter.Passes);
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task Saved_models_load_back_with_identical_outputs()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings(epochs: 0);
        var prepared = await steps.Prepare.RunAsync(new PrepareRequest("roundtrip", settings));
        var trained = await steps.TrainTeacher.RunAsync(new TrainRequest("roundtrip", settings, ModelKind.Teacher, 1));
        var layout = new RunLayout("roundtrip");
        var (meta, matrix) = await new RunArtifacts(steps.Store, layout).DatasetAsync(default);
        using var windows = new WindowTensors(meta, matrix, WindowNormalization.None);
        var shape = settings.ShapeFor(meta);

        using var loaded = ModelFactory.Create(ModelKind.Teacher, shape);
        ModelSerializer.Load(loaded, (await steps.Store.ReadAsync(trained.ModelPath))!);
        using var again = ModelFactory.Create(ModelKind.Teacher, shape);
        ModelSerializer.Load(again, ModelSerializer.Save(loaded));
        using var y1 = Distillery.Training.Trainer.Predict(loaded, windows.Inputs);
        using var y2 = Distillery.Training.Trainer.Predict(again, windows.Inputs);
        Assert.True(y1.eq(y2).all().item<bool>());

        // The stored test loss is reproduced by the loaded model.
        var test = meta.Folds[0].TestIndices.Select(i => (long)i).ToArray();
        using var index = tensor(test);
        var expected = Distillery.Training.Trainer.SumOfWindowMse(y1.index_select(0, index), windows.Targets.index_select(0, index));
        Assert.Equal(trained.FinalTest, expected, 5);

        var safetensors = await steps.Store.ReadAsync(layout.Safetensors(ModelKind.Teacher, 1));
        Assert.NotNull(safetensors);
        var headerLength = BitConverter.ToInt64(safetensors, 0);
        var header = System.Text.Encoding.UTF8.GetString(safetensors, 8, (int)headerLength);
        Assert.Contains("lstm.weight_ih_l0", header);
        Assert.Equal(523, prepared.Features);
    }

    [Fact]
    public async Task Bad_target_and_too_many_folds_are_named()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var missing = await Assert.ThrowsAsync<InvalidInputException>(() =>
            steps.Prepare.RunAsync(new PrepareRequest("bad", TinyRun.Settings() with { Target = "no_such_column" })));
        Assert.Contains("no_such_column", missing.Message);
        var folds = await Assert.ThrowsAsync<InvalidInputException>(() =>
            steps.Prepare.RunAsync(new PrepareRequest("bad", TinyRun.Settings() with { Folds = 400 })));
        Assert.Contains("400", folds.Message);
        Assert.False(await steps.Store.ExistsAsync(new RunLayout("bad").DatasetJson));
    }

    [Fact]
    public void Teacher_selection_rounds_finals_to_two_decimals_and_breaks_ties_by_lower_fold()
    {
        Assert.Equal(1, TeacherSelection.Best([(1, 1.25, 0.36), (2, 1.57, 0.67), (3, 1.57, 0.45)]));
        // (1.004 + 1.0)/2 and (1.0 + 1.001)/2 both round to 1.00 + 1.00: a tie, so fold 2 beats fold 3.
        Assert.Equal(2, TeacherSelection.Best([(3, 1.0, 1.001), (2, 1.004, 1.0), (4, 1.0, 1.02)]));
    }

    [Fact]
    public void Sem_is_sample_standard_deviation_over_root_n()
    {
        Assert.Equal(Math.Sqrt(2.5) / Math.Sqrt(5), Statistics.Sem([1, 2, 3, 4, 5]), 12);
    }
}
