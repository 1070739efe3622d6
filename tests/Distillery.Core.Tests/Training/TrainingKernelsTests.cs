using Distillery.Experiments;
using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

public class TrainingKernelsTests
{
    private static FoldTensors Problem()
    {
        using var generator = new Generator(5);
        var x = rand([24, 4, 6], generator: generator);
        var y = sigmoid(x.mean([2]).matmul(ones(4, 3)) - 2);
        return new FoldTensors(x, y, y, Enumerable.Range(0, 18).ToArray(), Enumerable.Range(18, 6).ToArray());
    }

    private static readonly ModelShape Shape = new(Features: 6, InputDays: 4, OutputDays: 3, TeacherHidden: 5, TeacherLayers: 2,
        TeacherHead: 8, StudentHidden: 8);

    private static LossCurves Train(ModelKind kind, TrainingOptions options)
    {
        using var model = ModelFactory.Create(kind, Shape);
        ModelFactory.Initialize(model, 4);
        return Trainer.Train(model, Problem(), options);
    }

    [Theory]
    [InlineData(null, TrainingKernels.Fused)]
    [InlineData("fused", TrainingKernels.Fused)]
    [InlineData("libtorch", TrainingKernels.Libtorch)]
    public void Names_parse(string? name, TrainingKernels expected) => Assert.Equal(expected, TrainingKernelNames.Parse(name));

    [Fact]
    public void An_unknown_name_is_bad_input_naming_the_field()
    {
        var e = Assert.Throws<InvalidInputException>(() => new ExperimentSettings { Kernels = "cuda" }.Validated());
        Assert.Contains("kernels must be one of fused, libtorch, got 'cuda'", e.Message);
    }

    [Theory]
    [InlineData(ModelKind.Teacher)]
    [InlineData(ModelKind.Student)]
    public void Libtorch_kernels_are_libtorchs_autograd_and_adam_to_the_last_bit(ModelKind kind)
    {
        var options = new TrainingOptions(Epochs: 3, LearningRate: 1e-2, BatchSize: 1, Seed: 1);
        var viaKernels = Train(kind, TrainingKernels.Libtorch.Apply(options));
        var libtorch = Train(kind, options with { FusedSteps = false, Adam = AdamKernel.Libtorch });
        Assert.Equal(libtorch.Train, viaKernels.Train);
        Assert.Equal(libtorch.Test, viaKernels.Test);
        // The fused kernels compute the same thing with sums in another order: close, not equal.
        var fused = Train(kind, TrainingKernels.Fused.Apply(options));
        Assert.NotEqual(libtorch.Train, fused.Train);
        for (var i = 0; i < fused.Train.Length; i++) Assert.Equal(libtorch.Train[i], fused.Train[i], libtorch.Train[i] * 1e-4);
    }

    [Fact]
    public void A_runs_kernels_are_written_only_when_not_the_default()
    {
        static string Json(ExperimentSettings s) => System.Text.Json.JsonSerializer.Serialize(s, Storage.ArtifactStoreJson.Options);
        Assert.DoesNotContain("kernels", Json(new ExperimentSettings()));
        Assert.Contains("\"kernels\": \"libtorch\"", Json(new ExperimentSettings { Kernels = "libtorch" }));
    }
}
