using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

public class EarlyStoppingTests
{
    /// <summary>Few training windows with noise targets and a high learning rate: the validation loss falls while the
    /// model learns the targets' level, then rises as it fits the training noise.</summary>
    private static FoldTensors Overfitting()
    {
        using var generator = new Generator(7);
        var x = rand([40, 4, 6], generator: generator);
        var y = rand([40, 3], generator: generator);
        return new FoldTensors(x, y, y, Enumerable.Range(0, 12).ToArray(), Enumerable.Range(30, 10).ToArray(),
            Enumerable.Range(16, 10).ToArray());
    }

    private static readonly ModelShape Shape = new(Features: 6, InputDays: 4, OutputDays: 3, TeacherHidden: 5, TeacherLayers: 1,
        TeacherHead: 8, StudentHidden: 16);

    private static (LossCurves Curves, byte[] Weights) Run(FoldTensors fold, int epochs, int? patience, double lr = 3e-2)
    {
        using var model = ModelFactory.Create(ModelKind.Student, Shape);
        ModelFactory.Initialize(model, 5);
        var curves = Trainer.Train(model, fold, new TrainingOptions(epochs, lr, 1, 0) { EarlyStoppingPatience = patience });
        return (curves, ModelSerializer.Save(model));
    }

    [Fact]
    public void Stops_after_patience_and_ends_with_the_best_pass_weights_to_the_bit()
    {
        var fold = Overfitting();
        var (curves, weights) = Run(fold, epochs: 60, patience: 3);
        var best = Assert.IsType<int>(curves.BestPass);
        var validation = curves.Validation!;
        Assert.InRange(best, 2, 57); // the problem overfits after some learning, well before the last pass
        Assert.Equal(best + 3, validation.Length);
        Assert.Equal(validation.Length, curves.Train.Length);
        Assert.Equal(validation.Min(), validation[best - 1]);
        Assert.True(validation.Skip(best).All(v => v >= validation[best - 1]));
        Assert.Equal(curves.Test[best - 1], curves.FinalTest);

        // The same job trained exactly `best` passes, no early stopping: the same weights and curves to the last bit.
        var (plain, plainWeights) = Run(fold, epochs: best - 1, patience: null);
        Assert.Equal(plainWeights, weights);
        Assert.Equal(plain.Train, curves.Train[..best]);
        Assert.Equal(plain.Test, curves.Test[..best]);
        Assert.Null(plain.Validation);
        Assert.Null(plain.BestPass);
    }

    [Fact]
    public void A_tie_keeps_the_earlier_pass()
    {
        // A learning rate too small to move a float32 weight: every pass scores the same validation loss.
        var (curves, _) = Run(Overfitting(), epochs: 20, patience: 4, lr: 1e-30);
        Assert.Equal(1, curves.BestPass);
        Assert.Equal(5, curves.Validation!.Length);
    }

    [Fact]
    public void Off_ignores_validation_windows_to_the_bit()
    {
        var withBlock = Overfitting();
        var without = new FoldTensors(withBlock.Inputs, withBlock.Targets, withBlock.Truth, withBlock.TrainWindows, withBlock.TestWindows);
        var (a, wa) = Run(withBlock, epochs: 4, patience: null);
        var (b, wb) = Run(without, epochs: 4, patience: null);
        Assert.Equal(wb, wa);
        Assert.Equal(b.Train, a.Train);
        Assert.Equal(b.Test, a.Test);
        Assert.Null(a.Validation);
    }

    [Fact]
    public void Early_stopping_without_validation_windows_is_refused()
    {
        var fold = Overfitting();
        var without = new FoldTensors(fold.Inputs, fold.Targets, fold.Truth, fold.TrainWindows, fold.TestWindows);
        Assert.Throws<ArgumentException>(() => Run(without, epochs: 2, patience: 1));
    }

    [Theory]
    [InlineData(ModelKind.Student)]
    [InlineData(ModelKind.Teacher)]
    public void Saving_and_restoring_weights_leaks_no_tensor(ModelKind kind)
    {
        var fold = Overfitting();
        using var model = ModelFactory.Create(kind, Shape);
        var counts = new List<long>();
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var curves = Trainer.Train(model, fold, new TrainingOptions(30, 3e-2, 1, 0) { EarlyStoppingPatience = 30 },
            onPass: _ => counts.Add(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount));
        Assert.NotNull(curves.BestPass);
        Assert.All(counts.Skip(1), c => Assert.Equal(counts[1], c));
        Assert.Equal(before, TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
