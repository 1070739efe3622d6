using Distillery.Models;
using Distillery.Training;
using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

/// <summary>The fast training loop must give the study's numbers exactly: same curves and weights, bit for bit, as
/// the reference loop on TorchSharp's Adam.</summary>
public class FlatAdamTests
{
    private static FoldTensors Problem(int windows, int days, int features, int outDays, ulong seed)
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
        var options = new TrainingOptions(Epochs: 2, LearningRate: 3e-3, BatchSize: 1, Seed: 0) { FusedAdam = fused };
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
