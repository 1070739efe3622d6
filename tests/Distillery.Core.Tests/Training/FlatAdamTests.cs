using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

/// <summary>The fast training loop must give the study's numbers exactly: same curves and weights, bit for bit, as
/// the reference loop on TorchSharp's Adam.</summary>
public class FlatAdamTests
{
    internal static FoldTensors Problem(int windows, int days, int features, int outDays, ulong seed)
    {
        using var generator = new Generator(seed);
        var x = rand([windows, days, features], generator: generator);
        var y = sigmoid(x.mean([2]).matmul(ones(days, outDays)) - 2);
        var cut = windows * 4 / 5;
        // Fold order is not sorted in the study's folds: shuffle the train windows deterministically.
        var train = Enumerable.Range(0, cut).OrderBy(i => (i * 7919) % cut).ToArray();
        return new FoldTensors(x, y, y, train, Enumerable.Range(cut, windows - cut).ToArray());
    }

    public static TheoryData<ModelKind, int, int, int, int, bool> Cases()
    {
        var data = new TheoryData<ModelKind, int, int, int, int, bool>();
        foreach (var fused in new[] { true, false })
        foreach (var (kind, windows, days, features, outDays) in Shapes)
            data.Add(kind, windows, days, features, outDays, fused);
        return data;
    }

    private static readonly (ModelKind, int, int, int, int)[] Shapes =
    [
        // kind, windows, input days, features, output days: sizes not multiples of the vector width (tail paths),
        // and the study's shape (10 × 523 → 14, vector paths; a 265k-parameter student, a 41k-parameter teacher).
        (ModelKind.Teacher, 30, 4, 6, 3),
        (ModelKind.Student, 30, 4, 6, 3),
        (ModelKind.Teacher, 12, 10, 523, 14),
        (ModelKind.Student, 20, 10, 523, 14),
    ];

    [Fact]
    public void The_fused_kernel_passes_its_self_check_here() => Assert.True(FusedAdamKernel.Verified,
        "the fused Adam kernel is off: MKL's VMSSQRT_ not found in libtorch_cpu, or its numbers differ from libtorch's kernels");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Trainer_matches_the_reference_loop_on_optim_Adam_to_the_last_bit(ModelKind kind, int windows, int days, int features, int outDays, bool fused)
    {
        var fold = Problem(windows, days, features, outDays, 5);
        var shape = new ModelShape(features, days, outDays);
        using var fast = ModelFactory.Create(kind, shape);
        using var reference = ModelFactory.Create(kind, shape);
        ModelFactory.Initialize(fast, 11);
        ModelFactory.Initialize(reference, 11);
        // A large learning rate so that every step moves the weights visibly.
        var options = new TrainingOptions(Epochs: 2, LearningRate: 3e-3, BatchSize: 1, Seed: 0) { Adam = fused ? AdamKernel.FusedExact : AdamKernel.Libtorch, FusedSteps = false };
        var a = Trainer.Train(fast, fold, options, alsoTestVsTruth: true);
        var b = ReferenceTrainer.Train(reference, fold, options, alsoTestVsTruth: true);
        Assert.Equal(b.Train, a.Train);
        Assert.Equal(b.Test, a.Test);
        Assert.Equal(b.TestVsTruth, a.TestVsTruth);
        foreach (var ((name, p), (_, q)) in fast.named_parameters().Zip(reference.named_parameters()))
            Assert.True(p.data<float>().ToArray().AsSpan().SequenceEqual(q.data<float>().ToArray()), $"{name} differs");
    }

    [Fact]
    public void After_training_every_parameter_owns_its_storage_and_the_module_still_saves_and_loads()
    {
        var fold = Problem(20, 4, 6, 3, 2);
        var shape = new ModelShape(6, 4, 3);
        using var model = ModelFactory.Create(ModelKind.Teacher, shape);
        Trainer.Train(model, fold, new TrainingOptions(1, 1e-3, 1, 0));
        var ps = model.parameters().ToArray();
        Assert.All(ps, p => Assert.Equal(p.numel(), p.storage<float>().Count));
        var stream = new MemoryStream();
        model.save(stream);
        using var copy = ModelFactory.Create(ModelKind.Teacher, shape);
        copy.load(new MemoryStream(stream.ToArray()));
        foreach (var (p, q) in model.parameters().Zip(copy.parameters())) Assert.Equal(p.data<float>().ToArray(), q.data<float>().ToArray());
    }

    [Fact]
    public void Mini_batch_order_is_reshuffled_per_pass_from_the_seed_only()
    {
        var windows = Enumerable.Range(0, 50).ToArray();
        Assert.Equal(Trainer.ShuffledOrder(windows, 7, 3), Trainer.ShuffledOrder(windows, 7, 3));
        Assert.NotEqual(Trainer.ShuffledOrder(windows, 7, 3), Trainer.ShuffledOrder(windows, 7, 4));
        Assert.NotEqual(Trainer.ShuffledOrder(windows, 7, 3), Trainer.ShuffledOrder(windows, 8, 3));
        Assert.Equal(windows, Trainer.ShuffledOrder(windows, 7, 3).Order());
        // Pinned: the permutation must not change between processes or .NET versions (Random(int) is stable).
        Assert.Equal([46, 6, 32, 23, 31], Trainer.ShuffledOrder(windows, 0, 0).Take(5));
    }
}

public class IeeeAdamTests
{
    [Fact]
    public void The_ieee_step_is_adams_formula_with_each_element_within_a_few_ulps_of_a_double_precision_step()
    {
        const int n = 1003; // vectors and a tail
        var random = new Random(5);
        float[] Draw(double scale) => Enumerable.Range(0, n).Select(_ => (float)((random.NextDouble() - 0.5) * scale)).ToArray();
        var (p, g, m) = (Draw(2), Draw(1e-2), Draw(1e-3));
        var v = Draw(1e-6).Select(Math.Abs).ToArray();
        v[0] = 0; g[0] = 0; v[1] = 1e-40f; // zeros and subnormals, as in a trained model's state
        var (p0, g0, m0, v0) = (p.ToArray(), g.ToArray(), m.ToArray(), v.ToArray());
        const double lr = 1e-3, bc1 = 1 - 0.9 * 0.9, bc2 = 1 - 0.999 * 0.999;
        FusedAdamKernel.StepIeee(p, g, m, v, 0.9f, 0.1f, 0.999f, (float)(1 - 0.999), (float)Math.Sqrt(bc2), 1e-8f, (float)(-lr / bc1));
        for (var i = 0; i < n; i++)
        {
            var mi = 0.9 * m0[i] + 0.1 * g0[i];
            var vi = 0.999 * v0[i] + (1 - 0.999) * g0[i] * g0[i];
            var pi = p0[i] - lr / bc1 * mi / (Math.Sqrt(vi) / Math.Sqrt(bc2) + 1e-8);
            // Float rounding, relative to the terms' sizes (a sum may cancel).
            Assert.Equal(mi, m[i], (Math.Abs(0.9 * m0[i]) + Math.Abs(0.1 * g0[i])) * 1e-6 + 1e-30);
            Assert.Equal(vi, v[i], Math.Abs(vi) * 1e-6 + 1e-37);
            Assert.Equal(pi, p[i], (Math.Abs(p0[i]) + Math.Abs(pi - p0[i])) * 1e-6 + 1e-12);
            Assert.Equal(0, g[i]);
        }
    }

    [Fact]
    public void Training_with_the_ieee_step_is_close_to_libtorchs_and_repeats_to_the_last_bit()
    {
        var shape = new ModelShape(6, 4, 3);
        float[][] Train(AdamKernel kernel)
        {
            using var model = ModelFactory.Create(ModelKind.Student, shape);
            ModelFactory.Initialize(model, 11);
            var fold = FlatAdamTests.Problem(30, 4, 6, 3, 5);
            Trainer.Train(model, fold, new TrainingOptions(Epochs: 2, LearningRate: 3e-3, BatchSize: 1, Seed: 0) { Adam = kernel });
            return model.parameters().Select(q => q.data<float>().ToArray()).ToArray();
        }
        var ieee = Train(AdamKernel.FusedIeee);
        Assert.Equal(ieee, Train(AdamKernel.FusedIeee));
        var exact = Train(AdamKernel.Libtorch);
        foreach (var (a, b) in ieee.Zip(exact))
            for (var i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-4);
    }
}
