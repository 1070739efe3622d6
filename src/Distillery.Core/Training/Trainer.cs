using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Training;

/// <summary>How one model is trained. Defaults are the study's (Adam, MSE, batch 1, epochs + 1 passes).</summary>
public sealed record TrainingOptions(int Epochs, double LearningRate, int BatchSize, long Seed)
{
    /// <summary>The study loops <c>range(epochs + 1)</c>.</summary>
    public int Passes => Epochs + 1;
}

/// <summary>Per-pass losses. Each value is a sum over windows of each window's mean squared error, as the study reports.</summary>
public sealed record LossCurves(double[] Train, double[] Test, double[]? TestVsTruth = null)
{
    public double FinalTrain => Train.Length == 0 ? double.NaN : Train[^1];
    public double FinalTest => Test.Length == 0 ? double.NaN : Test[^1];
    public double? FinalTestVsTruth => TestVsTruth is { Length: > 0 } t ? t[^1] : null;
}

public readonly record struct PassReport(int Pass, int Passes, double TrainLoss, double TestLoss);

/// <summary>
/// The windows of one fold as tensors, built once and indexed by every step.
/// Inputs [windows, inputDays, features]; targets [windows, outputDays] are what the model is trained towards
/// (truth, or the teacher's outputs); truth is the true target, for the distilled student's loss against it.
/// </summary>
public sealed class FoldTensors(Tensor inputs, Tensor targets, Tensor truth, int[] train, int[] test)
{
    public Tensor Inputs { get; } = inputs;
    public Tensor Targets { get; } = targets;
    public Tensor Truth { get; } = truth;
    public int[] TrainWindows { get; } = train;
    public int[] TestWindows { get; } = test;
}

/// <summary>
/// The study's training loop: Adam on MSE, one optimizer step per batch of windows in fold order, the train loss of
/// a pass accumulated during that pass, the test loss measured after it without gradients.
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
        using var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        using var batches = new BatchIndex(fold.TrainWindows, options.BatchSize);
        using var testIndex = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
        using var testInputs = fold.Inputs.index_select(0, testIndex);
        using var testTargets = fold.Targets.index_select(0, testIndex);
        using var testTruth = fold.Truth.index_select(0, testIndex);

        for (var pass = 0; pass < passes; pass++)
        {
            ct.ThrowIfCancellationRequested();
            model.train();
            double sum = 0;
            for (var b = 0; b < batches.Count; b++)
            {
                using var scope = NewDisposeScope();
                var (x, y, size) = batches.Select(b, fold.Inputs, fold.Targets);
                optimizer.zero_grad();
                var loss = nn.functional.mse_loss(model.call(x), y);
                loss.backward();
                optimizer.step();
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

    /// <summary>Pre-built index tensors for each batch, so a step allocates nothing on the host.</summary>
    private sealed class BatchIndex : IDisposable
    {
        private readonly int[] windows;
        private readonly int batchSize;
        private readonly Tensor[] indices;

        public BatchIndex(int[] windows, int batchSize)
        {
            this.windows = windows;
            this.batchSize = batchSize;
            Count = (windows.Length + batchSize - 1) / batchSize;
            indices = batchSize == 1 ? [] : Enumerable.Range(0, Count)
                .Select(b => tensor(windows.Skip(b * batchSize).Take(batchSize).Select(i => (long)i).ToArray()))
                .ToArray();
        }

        public int Count { get; }

        public (Tensor X, Tensor Y, int Size) Select(int batch, Tensor inputs, Tensor targets)
        {
            if (batchSize == 1)
            {
                var w = windows[batch];
                return (inputs.narrow(0, w, 1), targets.narrow(0, w, 1), 1);
            }
            var index = indices[batch];
            return (inputs.index_select(0, index), targets.index_select(0, index), (int)index.shape[0]);
        }

        public void Dispose()
        {
            foreach (var t in indices) t.Dispose();
        }
    }
}
