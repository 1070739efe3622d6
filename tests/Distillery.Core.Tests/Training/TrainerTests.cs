using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

public class TrainerTests
{
    /// <summary>A small learnable problem: targets are a smooth function of the inputs.</summary>
    private static FoldTensors Problem()
    {
        using var generator = new Generator(3);
        var x = rand([40, 4, 6], generator: generator);
        var y = sigmoid(x.mean([2]).matmul(ones(4, 3)) - 2);
        return new FoldTensors(x, y, y, Enumerable.Range(0, 30).ToArray(), Enumerable.Range(30, 10).ToArray());
    }

    private static readonly ModelShape Shape = new(Features: 6, InputDays: 4, OutputDays: 3, TeacherHidden: 5, TeacherLayers: 1,
        TeacherHead: 8, StudentHidden: 8);

    [Theory]
    [InlineData(ModelKind.Teacher, 1)]
    [InlineData(ModelKind.Student, 1)]
    [InlineData(ModelKind.Student, 8)]
    public void Training_lowers_the_loss(ModelKind kind, int batchSize)
    {
        var fold = Problem();
        using var model = ModelFactory.Create(kind, Shape);
        ModelFactory.Initialize(model, 1);
        var curves = Trainer.Train(model, fold, new TrainingOptions(Epochs: 29, LearningRate: 1e-2, batchSize, Seed: 1));
        Assert.Equal(30, curves.Train.Length);
        Assert.Equal(30, curves.Test.Length);
        Assert.True(curves.Train[^1] < curves.Train[0] * 0.7, $"train {curves.Train[0]} → {curves.Train[^1]}");
        // What is learnt generalises before it overfits: a small LSTM on 30 windows at this rate overfits later on
        // (libtorch's arithmetic too: its test loss ends above its first), so the test loss's best pass is what counts.
        Assert.True(curves.Test.Min() < curves.Test[0], $"test {curves.Test[0]} → best {curves.Test.Min()}");
    }

    [Fact]
    public void Epochs_zero_means_one_pass_like_the_study()
    {
        using var model = ModelFactory.Create(ModelKind.Student, Shape);
        var curves = Trainer.Train(model, Problem(), new TrainingOptions(0, 1e-3, 1, 0));
        Assert.Single(curves.Train);
    }

    [Fact]
    public void Train_loss_is_the_sum_of_window_mse_and_test_loss_matches_a_direct_computation()
    {
        var fold = Problem();
        using var model = ModelFactory.Create(ModelKind.Student, Shape);
        ModelFactory.Initialize(model, 2);
        // Learning rate tiny: the weights barely move, so the pass's accumulated loss ≈ the loss before the pass.
        using var before = Trainer.Predict(model, fold.Inputs.narrow(0, 0, 30));
        var expected = Trainer.SumOfWindowMse(before, fold.Targets.narrow(0, 0, 30));
        var curves = Trainer.Train(model, fold, new TrainingOptions(0, 1e-9, 1, 0));
        Assert.Equal(expected, curves.Train[0], 4);
        using var after = Trainer.Predict(model, fold.Inputs.narrow(0, 30, 10));
        Assert.Equal(Trainer.SumOfWindowMse(after, fold.Targets.narrow(0, 30, 10)), curves.Test[0], 10);
    }

    [Fact]
    public void Same_seed_gives_identical_curves_to_the_last_bit()
    {
        double[] Run()
        {
            using var model = ModelFactory.Create(ModelKind.Teacher, Shape);
            ModelFactory.Initialize(model, 42);
            return Trainer.Train(model, Problem(), new TrainingOptions(3, 1e-2, 1, 42)).Train;
        }
        Assert.Equal(Run(), Run());
    }

    [Theory]
    [InlineData(ModelKind.Student, 4)]
    [InlineData(ModelKind.Student, 1)]
    [InlineData(ModelKind.Teacher, 1)]
    [InlineData(ModelKind.Teacher, 8)]
    public void Live_tensor_count_stays_flat_across_passes(ModelKind kind, int batchSize)
    {
        var fold = Problem();
        using var model = ModelFactory.Create(kind, Shape);
        var counts = new List<long>();
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Trainer.Train(model, fold, new TrainingOptions(5, 1e-3, batchSize, 0), onPass: _ => counts.Add(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount));
        Assert.All(counts.Skip(1), c => Assert.Equal(counts[1], c));
        // And nothing of the optimizer or the batches outlives the call.
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
