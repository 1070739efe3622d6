using Distillery.Training.Optim;
using static TorchSharp.torch;

namespace Distillery.Training;

/// <summary>
/// The study's training loop: Adam on MSE, one optimizer step per batch of windows, the train loss of a pass
/// accumulated during that pass, the test loss measured after it without gradients. Batch 1 takes the windows in
/// fold order, as the study did; larger batches take them in an order shuffled per pass from the seed.
/// Synchronous on purpose: TorchSharp dispose scopes belong to one thread.
/// </summary>
public static class Trainer
{
    public static LossCurves Train(nn.Module<Tensor, Tensor> model, FoldTensors fold, TrainingOptions options,
        bool alsoTestVsTruth = false, Action<PassReport>? onPass = null, CancellationToken ct = default)
    {
        var passes = options.Passes;
        var train = new double[passes];
        var test = new double[passes];
        var testVsTruth = alsoTestVsTruth ? new double[passes] : null;
        using var optimizer = FlatAdam.Create(model.parameters(), options.LearningRate, options.FusedAdam);
        using var batches = new BatchIndex(fold.TrainWindows, options.BatchSize, options.Seed);
        using var testIndex = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
        using var testInputs = fold.Inputs.index_select(0, testIndex);
        using var testTargets = fold.Targets.index_select(0, testIndex);
        using var testTruth = fold.Truth.index_select(0, testIndex);

        for (var pass = 0; pass < passes; pass++)
        {
            ct.ThrowIfCancellationRequested();
            model.train();
            batches.Shuffle(pass);
            double sum = 0;
            for (var b = 0; b < batches.Count; b++)
            {
                using var scope = NewDisposeScope();
                var (x, y, size) = batches.Select(b, fold.Inputs, fold.Targets);
                optimizer.ZeroGrad();
                var loss = nn.functional.mse_loss(model.call(x), y);
                loss.backward();
                optimizer.Step();
                // Mean over a batch × its size = the sum of its windows' MSEs (the study's batch 1: one window's MSE).
                sum += loss.item<float>() * size;
            }
            train[pass] = sum;
            model.eval();
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                var prediction = model.call(testInputs);
                test[pass] = SumOfWindowMse(prediction, testTargets);
                if (testVsTruth is not null) testVsTruth[pass] = SumOfWindowMse(prediction, testTruth);
            }
            onPass?.Invoke(new PassReport(pass + 1, passes, train[pass], test[pass]));
        }
        return new LossCurves(train, test, testVsTruth);
    }

    /// <summary>Sum over windows of each window's mean squared error.</summary>
    public static double SumOfWindowMse(Tensor prediction, Tensor target)
    {
        using var scope = NewDisposeScope();
        return (prediction - target).square().mean([1]).sum().to_type(ScalarType.Float64).item<double>();
    }

    /// <summary>Runs the model on all windows without gradients, batch by batch (outputs [windows, outputDays]).</summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor inputs, int batchSize = 256)
    {
        model.eval();
        using var noGrad = no_grad();
        var parts = new List<Tensor>();
        var n = (int)inputs.shape[0];
        for (var start = 0; start < n; start += batchSize)
        {
            using var x = inputs.narrow(0, start, Math.Min(batchSize, n - start));
            parts.Add(model.call(x));
        }
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>The order of a pass's windows for batches larger than 1: a permutation drawn from (seed, pass) only.</summary>
    public static int[] ShuffledOrder(int[] windows, long seed, int pass)
    {
        var order = (int[])windows.Clone();
        // SplitMix64 of (seed, pass): stable across processes and .NET versions (unlike HashCode), as is Random(int).
        var z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)pass + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        new Random((int)(z & 0x7FFFFFFF)).Shuffle(order);
        return order;
    }
}
