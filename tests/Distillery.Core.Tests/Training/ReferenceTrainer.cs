using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Tests.Training;

/// <summary>
/// The training loop as it was before the flat-buffer optimizer (TorchSharp's <c>optim.Adam</c>, one step per window
/// in fold order): the yardstick that <see cref="Trainer"/>'s numbers are checked against, bit for bit.
/// </summary>
public static class ReferenceTrainer
{
    public static LossCurves Train(nn.Module<Tensor, Tensor> model, FoldTensors fold, TrainingOptions options, bool alsoTestVsTruth = false)
    {
        if (options.BatchSize != 1) throw new ArgumentException("the reference is the study's batch 1");
        var passes = options.Passes;
        var train = new double[passes];
        var test = new double[passes];
        var testVsTruth = alsoTestVsTruth ? new double[passes] : null;
        using var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        using var testIndex = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
        using var testInputs = fold.Inputs.index_select(0, testIndex);
        using var testTargets = fold.Targets.index_select(0, testIndex);
        using var testTruth = fold.Truth.index_select(0, testIndex);
        for (var pass = 0; pass < passes; pass++)
        {
            model.train();
            double sum = 0;
            foreach (var w in fold.TrainWindows)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(model.call(fold.Inputs.narrow(0, w, 1)), fold.Targets.narrow(0, w, 1));
                loss.backward();
                optimizer.step();
                sum += loss.item<float>();
            }
            train[pass] = sum;
            model.eval();
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                var prediction = model.call(testInputs);
                test[pass] = Trainer.SumOfWindowMse(prediction, testTargets);
                if (testVsTruth is not null) testVsTruth[pass] = Trainer.SumOfWindowMse(prediction, testTruth);
            }
        }
        return new LossCurves(train, test, testVsTruth);
    }
}
