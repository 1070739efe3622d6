using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Experiments.Steps;
using Distillery.Models;
using Distillery.Serving;
using Distillery.Storage;
using Distillery.Tests.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Tests.Experiments;

/// <summary>The normalization and targetTransform options: exact inverses, zero output = persistence, and off = unchanged.</summary>
public class NormalizationTests
{
    private const int Features = 4, InputDays = 5, OutputDays = 3, Rows = 40;

    private static (DatasetArtifact Meta, double[] Matrix) RandomDataset(int seed, TargetTransform? transform = null)
    {
        var random = new Random(seed);
        var matrix = Enumerable.Range(0, Rows * Features).Select(_ => random.NextDouble() * 1.4 - 0.2).ToArray();
        var meta = new DatasetArtifact
        {
            Source = "random", Target = "t", Rows = Rows, Windows = Windowing.Count(Rows, InputDays, OutputDays),
            InputDays = InputDays, OutputDays = OutputDays, Features = ["a", "t", "b", "c"],
            Min = [0, 3, 0, 0], Max = [1, 5000, 1, 1], FirstDate = "2020-01-01", LastDate = "2020-02-09", Dates = [], TargetIndex = 1,
            TargetTransform = transform,
        };
        return (meta, matrix);
    }

    [Fact]
    public void Last_value_shift_is_undone_exactly_on_random_windows()
    {
        var (meta, matrix) = RandomDataset(1);
        using var scope = NewDisposeScope();
        using var windows = new WindowTensors(meta, matrix, WindowNormalization.LastValue);
        var inputs = windows.Inputs.data<float>().ToArray();
        var all = Enumerable.Range(0, meta.Windows).ToArray();
        for (var w = 0; w < meta.Windows; w++)
            for (var c = 0; c < Features; c++)
            {
                var last = matrix[(w + InputDays - 1) * Features + c];
                for (var d = 0; d < InputDays; d++)
                    Assert.Equal((float)(matrix[(w + d) * Features + c] - last), inputs[(w * InputDays + d) * Features + c]);
            }
        // The targets shifted in float64, then the inverse: the truth back to the last bits a subtraction keeps.
        var truth = Evaluation.Truth(meta, matrix, all);
        var shifted = all.SelectMany(w => truth[w].Select(y => y - WindowNormalization.LastValue.Shift(meta, matrix, w, meta.TargetIndex))).ToArray();
        var back = WindowNormalization.LastValue.Forecasts(tensor(shifted, [all.Length, OutputDays]), meta, matrix, all);
        for (var w = 0; w < all.Length; w++)
            for (var d = 0; d < OutputDays; d++)
                Assert.True(Math.Abs(back[w][d] - truth[w][d]) <= 1e-15, $"window {w} day {d}: {back[w][d]} vs {truth[w][d]}");
    }

    [Fact]
    public void No_normalization_leaves_inputs_targets_and_outputs_as_they_were()
    {
        var (meta, matrix) = RandomDataset(2);
        using var scope = NewDisposeScope();
        using var windows = new WindowTensors(meta, matrix, WindowNormalization.None);
        var inputs = windows.Inputs.data<float>().ToArray();
        for (var w = 0; w < meta.Windows; w++)
            for (var d = 0; d < InputDays; d++)
                for (var c = 0; c < Features; c++)
                    Assert.Equal((float)matrix[(w + d) * Features + c], inputs[(w * InputDays + d) * Features + c]);
        var outputs = tensor(new[] { 0.25f, -0.5f, 0.75f }, [1, OutputDays]);
        Assert.Equal([0.25, -0.5, 0.75], WindowNormalization.None.Forecasts(outputs, meta, matrix, [7])[0]);
    }

    [Fact]
    public void Log1p_inverse_is_exact_within_1e_12()
    {
        var random = new Random(3);
        var values = new[] { 0.0, 1e-300, 1e-12, 1e-6, 0.5, 1, 3, 1234.5, 98765, 1e12, -0.5, -0.999 }
            .Concat(Enumerable.Range(0, 1000).Select(_ => Math.Pow(10, random.NextDouble() * 14 - 8))).ToArray();
        foreach (var x in values)
        {
            var back = TargetTransform.Log1p.Inverse(TargetTransform.Log1p.Forward(x));
            Assert.True(Math.Abs(back - x) <= 1e-12 * Math.Max(1, Math.Abs(x)), $"{x} → {back}");
        }
        // Through the dataset's scaling: patients/day → scaled (log1p, min-max) → patients/day.
        var meta = RandomDataset(3, TargetTransform.Log1p).Meta with { Min = [0, Math.Log(4), 0, 0], Max = [1, Math.Log(5001), 1, 1] };
        foreach (var x in new[] { 3.0, 17, 250, 4999, 7000 })
            Assert.True(Math.Abs(meta.UnscaleTarget(meta.ScaleTarget(x)) - x) <= 1e-12 * x, $"{x}");
    }

    [Fact]
    public void Log1p_rejects_a_target_outside_its_domain_and_is_recorded_in_the_dataset()
    {
        var table = TestCsv.Read("date,t,x\n2020-01-01,1,1\n2020-01-02,-1,2\n2020-01-03,3,3\n", "d.csv");
        var message = TestCsv.ErrorOf(() => StudyCleaning.Clean(table, "t", TargetTransform.Log1p));
        Assert.Contains("log1p", message);
        var clean = StudyCleaning.Clean(TestCsv.Read("date,t,x\n2020-01-01,1,1\n2020-01-02,7,2\n2020-01-03,3,3\n"), "t", TargetTransform.Log1p);
        Assert.Equal(Math.Log(2), clean.Min[clean.TargetIndex], 15);
        Assert.Equal(Math.Log(8), clean.Max[clean.TargetIndex], 15);
        Assert.Equal(clean.Scaled, clean.ApplyScaling(TestCsv.Read("date,t,x\n2020-01-01,1,1\n2020-01-02,7,2\n2020-01-03,3,3\n")));
    }

    /// <summary>Outputs 0 for every window: under last-value normalisation that is persistence.</summary>
    private sealed class Zero(int days) : nn.Module<Tensor, Tensor>("zero")
    {
        public override Tensor forward(Tensor input) => zeros(input.shape[0], days);
    }

    [Fact]
    public void A_zero_output_under_last_value_is_persistence_in_the_evaluation()
    {
        var (meta, matrix) = RandomDataset(4);
        var split = new FoldSplit(1, [0, 1, 2], Enumerable.Range(3, meta.Windows - 3).ToArray());
        using var scope = NewDisposeScope();
        using var model = new Zero(OutputDays);
        using var windows = new WindowTensors(meta, matrix, WindowNormalization.LastValue);
        var truth = ModelTraining.EvaluateOnTest(model, windows, WindowNormalization.LastValue, meta, matrix, split).Metrics;
        var persistence = Evaluation.Baselines(meta, matrix, split.TestIndices)[Evaluation.PersistenceName];
        Assert.Equal(persistence.Mae, truth.Mae);
        Assert.Equal(1.0, truth.Mase);
        // Without the shift a zero output is the scaled minimum, not persistence: the test can tell them apart.
        using var plain = new WindowTensors(meta, matrix, WindowNormalization.None);
        Assert.NotEqual(persistence.Mae, ModelTraining.EvaluateOnTest(model, plain, WindowNormalization.None, meta, matrix, split).Metrics.Mae);
    }

    [Fact]
    public async Task A_zeroed_student_under_last_value_and_log1p_serves_the_last_observed_value()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        const string runId = "normalised";
        var settings = TinyRun.Settings(epochs: 0) with
        {
            Normalization = WindowNormalizations.LastValueName,
            TargetTransform = TargetTransforms.Log1pName,
        };
        await TinyRun.RunStepsAsync(steps, runId, settings);
        var layout = new RunLayout(runId);
        var results = (await steps.Store.ReadJsonAsync<RunResults>(layout.Results))!;
        var (meta, _) = await new RunArtifacts(steps.Store, layout).DatasetAsync(default);
        Assert.Equal(TargetTransform.Log1p, meta.TargetTransform);
        var fold = Forecaster.ChampionFold(results);
        using (var scope = NewDisposeScope())
        {
            using var student = ModelFactory.Create(ModelKind.Student, settings.ShapeFor(meta));
            Assert.DoesNotContain(student.modules(), m => m is TorchSharp.Modules.Sigmoid);
            using (no_grad())
                foreach (var p in student.parameters()) p.zero_();
            await new RunArtifacts(steps.Store, layout).WriteModelAsync(ModelKind.Student, fold, "", ModelSerializer.Save(student),
                ModelSerializer.SaveSafetensors(student), default);
        }
        var table = RawTableReader.Read(File.OpenRead(RepoPaths.UsFl), "US_FL");
        // The 10 days up to the last one with a reported (non-zero) target, so persistence is a level to check.
        var target = table.ColumnIndex(ExperimentSettings.DefaultTarget);
        var end = table.Rows.Select((cells, i) => (cells, i)).Last(r => r.cells[target] is { Length: > 0 } v && v != "0").i;
        var rows = table.Rows.Skip(end - 9).Take(10)
            .Select(cells => (IReadOnlyDictionary<string, string>)table.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => cells[x.i]))
            .ToList();
        var last = double.Parse(rows[^1][ExperimentSettings.DefaultTarget], System.Globalization.CultureInfo.InvariantCulture);
        using var forecaster = await Forecaster.LoadAsync(steps.Store, runId, ModelKind.Student, default);
        var forecast = forecaster.Predict(rows);
        Assert.All(forecast.Days, day => Assert.True(Math.Abs(day.Value - last) <= 1e-9 * last, $"{day.Date}: {day.Value} vs {last}"));
    }

    [Fact]
    public void Options_off_write_no_new_properties_and_set_options_are_written()
    {
        static JsonElement Json<T>(T value) => JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(value, ArtifactStoreJson.Options)).RootElement;
        var off = Json(new ExperimentSettings());
        Assert.False(off.TryGetProperty("normalization", out _));
        Assert.False(off.TryGetProperty("targetTransform", out _));
        Assert.False(Json(RandomDataset(5).Meta).TryGetProperty("targetTransform", out _));
        var on = Json(new ExperimentSettings { Normalization = "last-value", TargetTransform = "log1p" });
        Assert.Equal("last-value", on.GetProperty("normalization").GetString());
        Assert.Equal("log1p", on.GetProperty("targetTransform").GetString());
        Assert.Equal("log1p", Json(RandomDataset(5, TargetTransform.Log1p).Meta).GetProperty("targetTransform").GetString());
        var read = JsonSerializer.Deserialize<DatasetArtifact>(JsonSerializer.SerializeToUtf8Bytes(RandomDataset(5, TargetTransform.Log1p).Meta, ArtifactStoreJson.Options), ArtifactStoreJson.Options)!;
        Assert.Equal(TargetTransform.Log1p, read.Transform);
    }

    [Fact]
    public void Invalid_values_are_rejected_naming_the_field()
    {
        var problems = new ExperimentSettings { Normalization = "revin", TargetTransform = "log" }.Problems();
        var normalization = Assert.Single(problems, p => p.Field == "normalization");
        Assert.Contains("none, last-value", normalization.Problem);
        Assert.Contains("'revin'", normalization.Problem);
        var transform = Assert.Single(problems, p => p.Field == "targetTransform");
        Assert.Contains("none, log1p", transform.Problem);
        Assert.Contains("'log'", transform.Problem);
        var error = Assert.Throws<InvalidInputException>(() => new ExperimentSettings { Normalization = "LastValue" }.Validated());
        Assert.Contains("normalization", error.Message);
        Assert.Empty(new ExperimentSettings { Normalization = "none", TargetTransform = "none" }.Problems());
    }

    [Fact]
    public void Last_value_gives_linear_heads_with_the_same_parameters()
    {
        var (meta, _) = RandomDataset(6);
        var off = new ExperimentSettings { InputDays = InputDays, OutputDays = OutputDays }.ShapeFor(meta);
        var on = new ExperimentSettings { InputDays = InputDays, OutputDays = OutputDays, Normalization = "last-value" }.ShapeFor(meta);
        Assert.False(off.LinearHead);
        Assert.True(on.LinearHead);
        foreach (var kind in ModelKinds.All)
        {
            using var linear = ModelFactory.Create(kind, on);
            using var sigmoid = ModelFactory.Create(kind, off);
            Assert.DoesNotContain(linear.modules(), m => m is TorchSharp.Modules.Sigmoid);
            Assert.Contains(sigmoid.modules(), m => m is TorchSharp.Modules.Sigmoid);
            Assert.Equal(sigmoid.named_parameters().Select(p => p.name), linear.named_parameters().Select(p => p.name));
        }
    }
}
