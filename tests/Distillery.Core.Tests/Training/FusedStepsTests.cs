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
        var expected = Gradients(model);

        using var step = FusedSteps.For(model)!;
        Assert.NotNull(step);
        optimizer.ZeroGrad(); // the fused step adds to the gradient storage, as autograd does
        var fused = step.Step(MemoryMarshal.Cast<byte, float>(x.bytes), MemoryMarshal.Cast<byte, float>(y.bytes));
        Assert.Equal(loss.item<float>(), fused, 1e-6 * Math.Max(1, Math.Abs(fused)));
        AssertGradients(expected, model);
    }

    [Theory]
    [InlineData(7, 4, 3, false, 5)]
    [InlineData(7, 4, 3, true, 3)]
    [InlineData(523, 10, 14, false, 8)] // the study's
    [InlineData(6, 4, 3, false, 1, 5, 1, 8)] // one small layer, batch 1 through the mini-batch path
    [InlineData(6, 4, 3, false, 4, 5, 1, 8)]
    public void A_mini_batch_teacher_step_matches_autograds_loss_and_gradients(int features, int days, int outputs, bool linearHead, int batch,
        int hidden = 15, int layers = 3, int head = 25)
    {
        var shape = new ModelShape(features, days, outputs, TeacherHidden: hidden, TeacherLayers: layers, TeacherHead: head, LinearHead: linearHead);
        using var model = ModelFactory.Create(ModelKind.Teacher, shape);
        ModelFactory.Initialize(model, 5);
        using var optimizer = FlatAdam.Create(model.parameters(), 1e-3);
        using var generator = new TorchSharp.torch.Generator(13);
        using var inputs = rand([batch + 3, days, features], generator: generator);
        using var targets = rand([batch + 3, outputs], generator: generator);
        var windows = new[] { 4, 0, 2, 7, 5, 1, 3, 6, 9, 8, 10 }.Where(w => w < batch + 3).Take(batch).ToArray();

        optimizer.ZeroGrad();
        using var index = tensor(windows.Select(w => (long)w).ToArray());
        using var loss = nn.functional.mse_loss(model.call(inputs.index_select(0, index)), targets.index_select(0, index));
        loss.backward();
        var expected = Gradients(model);

        using var step = FusedSteps.ForBatches(model)!;
        optimizer.ZeroGrad();
        var sum = step.StepBatch(MemoryMarshal.Cast<byte, float>(inputs.bytes), MemoryMarshal.Cast<byte, float>(targets.bytes), windows);
        Assert.Equal(loss.item<float>() * batch, sum, 1e-5 * Math.Max(1, Math.Abs(sum)));
        AssertGradients(expected, model);
    }

    private static Dictionary<string, float[]> Gradients(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());

    /// <summary>Every parameter's gradient equals the expected one within 1e-4 of that tensor's largest gradient.</summary>
    private static void AssertGradients(Dictionary<string, float[]> expected, nn.Module model)
    {
        foreach (var (name, got) in Gradients(model))
        {
            var want = expected[name];
            var scale = want.Max(Math.Abs) + 1e-12f;
            for (var i = 0; i < want.Length; i++)
                Assert.True(Math.Abs(got[i] - want[i]) <= 1e-4 * scale, $"{name}[{i}]: {got[i]} vs {want[i]} (scale {scale})");
        }
    }

    [Fact]
    public void The_student_has_no_mini_batch_step_libtorchs_gemms_are_its_step()
    {
        using var model = ModelFactory.Create(ModelKind.Student, new ModelShape(7, 4, 3));
        using var optimizer = FlatAdam.Create(model.parameters(), 1e-3);
        Assert.Null(FusedSteps.ForBatches(model));
    }

    [Theory]
    [InlineData(ModelKind.Teacher, 1)]
    [InlineData(ModelKind.Student, 1)]
    [InlineData(ModelKind.Teacher, 8)]
    public void Training_with_the_fused_step_follows_libtorchs_and_repeats_to_the_last_bit(ModelKind kind, int batchSize)
    {
        var fold = FlatAdamTests.Problem(40, 4, 7, 3, 5);
        var shape = new ModelShape(7, 4, 3);
        LossCurves Train(bool fusedTeacher)
        {
            using var model = ModelFactory.Create(kind, shape);
            ModelFactory.Initialize(model, 11);
            return Trainer.Train(model, fold, new TrainingOptions(Epochs: 3, LearningRate: 3e-3, batchSize, Seed: 0) { FusedSteps = fusedTeacher });
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
