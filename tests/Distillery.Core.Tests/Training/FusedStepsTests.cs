using System.Runtime.InteropServices;
using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Kernels;
using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

/// <summary>The fused batch-1 steps against libtorch's autograd: the same loss and gradients up to float rounding (the
/// sums run in another order), and training that follows libtorch's closely.</summary>
public class FusedStepsTests
{
    public static TheoryData<ModelKind, int, int, int, bool, int> Shapes => new()
    {
        { ModelKind.Teacher, 7, 4, 3, false, 2 },
        { ModelKind.Teacher, 7, 4, 3, true, 2 },
        { ModelKind.Teacher, 523, 10, 14, false, 2 }, // the study's
        { ModelKind.Student, 7, 4, 3, false, 1 },
        { ModelKind.Student, 7, 4, 3, true, 3 },
        { ModelKind.Student, 523, 10, 14, false, 2 }, // the study's
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Loss_and_every_gradient_match_autograds(ModelKind kind, int features, int days, int outputs, bool linearHead, int studentLayers)
    {
        var shape = new ModelShape(features, days, outputs, StudentLayers: studentLayers, LinearHead: linearHead);
        using var model = ModelFactory.Create(kind, shape);
        ModelFactory.Initialize(model, 3);
        using var optimizer = FlatAdam.Create(model.parameters(), 1e-3); // gives every parameter its gradient storage
        using var generator = new TorchSharp.torch.Generator(9);
        using var x = rand([1, days, features], generator: generator);
        using var y = rand([1, outputs], generator: generator);

        optimizer.ZeroGrad();
        using var loss = nn.functional.mse_loss(model.call(x), y);
        loss.backward();
        var expected = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());

        using var step = FusedSteps.For(model)!;
        Assert.NotNull(step);
        var fused = step.Step(MemoryMarshal.Cast<byte, float>(x.bytes), MemoryMarshal.Cast<byte, float>(y.bytes));
        Assert.Equal(loss.item<float>(), fused, 1e-6 * Math.Max(1, Math.Abs(fused)));
        foreach (var (name, p) in model.named_parameters())
        {
            var got = p.grad!.data<float>().ToArray();
            var want = expected[name];
            var scale = want.Max(Math.Abs) + 1e-12f;
            for (var i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * scale, $"{name}[{i}]: {got[i]} vs {want[i]} (scale {scale})");
        }
    }

    [Theory]
    [InlineData(ModelKind.Teacher)]
    [InlineData(ModelKind.Student)]
    public void Training_with_the_fused_step_follows_libtorchs_and_repeats_to_the_last_bit(ModelKind kind)
    {
        var fold = FlatAdamTests.Problem(40, 4, 7, 3, 5);
        var shape = new ModelShape(7, 4, 3);
        LossCurves Train(bool fusedTeacher)
        {
            using var model = ModelFactory.Create(kind, shape);
            ModelFactory.Initialize(model, 11);
            return Trainer.Train(model, fold, new TrainingOptions(Epochs: 3, LearningRate: 3e-3, BatchSize: 1, Seed: 0) { FusedSteps = fusedTeacher });
        }
        var fused = Train(true);
        Assert.Equal(fused.Train, Train(true).Train);
        var torch = Train(false);
        Assert.NotEqual(torch.Train, fused.Train); // it really ran the other path
        for (var pass = 0; pass < fused.Train.Length; pass++)
        {
            Assert.Equal(torch.Train[pass], fused.Train[pass], 1e-3 * torch.Train[pass]);
            Assert.Equal(torch.Test[pass], fused.Test[pass], 1e-3 * torch.Test[pass]);
        }
    }
}
