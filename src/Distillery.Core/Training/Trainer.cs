using Distillery.Training.Optim;
using static TorchSharp.torch;
using static Distillery.Training.TensorMemory;

namespace Distillery.Training;

/// <summary>
/// The study's training loop: Adam on MSE, one optimizer step per batch of windows, the train loss of a pass
/// accumulated during that pass, the test loss measured after it without gradients. Batch 1 takes the windows in
/// fold order, as the study did; larger batches take them in an order shuffled per pass from the seed.
/// Synchronous on purpose: TorchSharp dispose scopes belong to one thread. With early stopping
/// (<see cref="TrainingOptions.EarlyStoppingPatience"/>) each pass is also scored on the validation windows against
/// the same targets, and the model ends with the weights of the pass that scored lowest.
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
        var patience = options.EarlyStoppingPatience;
        if (patience is not null && fold.ValidationWindows is not { Length: > 0 })
            throw new ArgumentException("early stopping needs the fold's validation windows", nameof(fold));
        var validation = patience is null ? null : new double[passes];
        using var optimizer = FlatAdam.Create(model.parameters(), options.LearningRate, options.Adam);
        // After the optimizer, which gives every parameter its gradient storage.
        var fusable = options.FusedSteps && fold.Inputs.is_contiguous() && fold.Targets.is_contiguous()
                      && fold.Inputs.dtype == ScalarType.Float32 && fold.Targets.dtype == ScalarType.Float32;
        using var fused = fusable && options.BatchSize == 1 ? Kernels.FusedSteps.For(model) : null;
        using var fusedBatch = fusable && options.BatchSize > 1 ? Kernels.FusedSteps.ForBatches(model) : null;
        var inputWidth = (int)(fold.Inputs.numel() / Math.Max(1, fold.Inputs.shape[0]));
        var targetWidth = (int)(fold.Targets.numel() / Math.Max(1, fold.Targets.shape[0]));
        var spans = fused is not null || fusedBatch is not null;
        ReadOnlySpan<float> inputs = spans ? Floats(fold.Inputs) : default, targets = spans ? Floats(fold.Targets) : default;
        using var batches = new BatchIndex(fold.TrainWindows, options.BatchSize, options.Seed);
        using var testIndex = tensor(fold.TestWindows.Select(i => (long)i).ToArray());
        using var testInputs = fold.Inputs.index_select(0, testIndex);
        using var testTargets = fold.Targets.index_select(0, testIndex);
        using var testTruth = fold.Truth.index_select(0, testIndex);
        using var validationIndex = validation is null ? null : tensor(fold.ValidationWindows!.Select(i => (long)i).ToArray());
        using var validationInputs = validationIndex is null ? null : fold.Inputs.index_select(0, validationIndex);
        using var validationTargets = validationIndex is null ? null : fold.Targets.index_select(0, validationIndex);
        // After the optimizer: it re-seats the parameters into its flat buffer, and the copies follow them.
        using var best = validation is null ? null : new WeightCopy(model);
        var bestPass = -1;
        var ran = passes;

        for (var pass = 0; pass < passes; pass++)
        {
            ct.ThrowIfCancellationRequested();
            model.train();
            batches.Shuffle(pass);
            double sum = 0;
            for (var b = 0; b < batches.Count; b++)
            {
                if (fused is not null)
                {
                    var w = fold.TrainWindows[b]; // batch 1: the fold's order
                    optimizer.ZeroGrad();
                    var windowLoss = fused.Step(inputs.Slice(w * inputWidth, inputWidth), targets.Slice(w * targetWidth, targetWidth));
                    optimizer.Step();
                    sum += windowLoss;
                    continue;
                }
                if (fusedBatch is not null)
                {
                    optimizer.ZeroGrad();
                    sum += fusedBatch.StepBatch(inputs, targets, batches.Windows(b));
                    optimizer.Step();
                    continue;
                }
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
                if (validation is not null) validation[pass] = SumOfWindowMse(model.call(validationInputs!), validationTargets!);
            }
            onPass?.Invoke(new PassReport(pass + 1, passes, train[pass], test[pass]));
            if (validation is null) continue;
            // Strictly lower only: a tie keeps the earlier pass. A NaN best is beaten by anything.
            if (bestPass < 0 || validation[pass] < validation[bestPass] || double.IsNaN(validation[bestPass]))
            {
                bestPass = pass;
                best!.Save();
            }
            else if (pass - bestPass >= patience)
            {
                ran = pass + 1;
                break;
            }
        }
        if (validation is null) return new LossCurves(train, test, testVsTruth);
        best!.Restore();
        return new LossCurves(train[..ran], test[..ran], testVsTruth?[..ran], validation[..ran], bestPass + 1);
    }

    /// <summary>One copy of a model's parameters, allocated once: saving and restoring copy in place, so no pass
    /// allocates a tensor.</summary>
    private sealed class WeightCopy : IDisposable
    {
        private readonly TorchSharp.Modules.Parameter[] parameters;
        private readonly Tensor[] copies;

        public WeightCopy(nn.Module model)
        {
            parameters = model.parameters().ToArray();
            copies = parameters.Select(p => zeros_like(p, requires_grad: false)).ToArray();
        }

        public void Save() => Copy(parameters, copies);
        public void Restore() => Copy(copies, parameters);

        private static void Copy(IReadOnlyList<Tensor> from, IReadOnlyList<Tensor> to)
        {
            using var noGrad = no_grad();
            for (var i = 0; i < from.Count; i++) to[i].copy_(from[i]);
        }

        public void Dispose()
        {
            foreach (var c in copies) c.Dispose();
        }
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
