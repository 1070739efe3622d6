using TorchSharp;
using TorchSharp.Modules;
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
        using var optimizer = FlatAdam.Create(model.parameters(), options.LearningRate);
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

    /// <summary>Index tensors for the batches: batch 1 is a narrow view of the fold's tensors (no copy, no index);
    /// larger batches gather their windows from one index tensor per pass, narrowed per batch.</summary>
    private sealed class BatchIndex : IDisposable
    {
        private readonly int[] windows;
        private readonly int batchSize;
        private readonly long seed;
        private Tensor? order;

        public BatchIndex(int[] windows, int batchSize, long seed)
        {
            this.windows = windows;
            this.batchSize = batchSize;
            this.seed = seed;
            Count = (windows.Length + batchSize - 1) / batchSize;
        }

        public int Count { get; }

        /// <summary>Batch 1 keeps the study's fold order; larger batches are reshuffled every pass.</summary>
        public void Shuffle(int pass)
        {
            if (batchSize == 1) return;
            order?.Dispose();
            order = tensor(ShuffledOrder(windows, seed, pass).Select(i => (long)i).ToArray());
        }

        public (Tensor X, Tensor Y, int Size) Select(int batch, Tensor inputs, Tensor targets)
        {
            if (batchSize == 1)
            {
                var w = windows[batch];
                return (inputs.narrow(0, w, 1), targets.narrow(0, w, 1), 1);
            }
            var start = batch * batchSize;
            var size = Math.Min(batchSize, windows.Length - start);
            var index = order!.narrow(0, start, size);
            return (inputs.index_select(0, index), targets.index_select(0, index), size);
        }

        public void Dispose() => order?.Dispose();
    }
}

/// <summary>
/// Adam (TorchSharp's <c>optim.Adam</c> defaults: β = (0.9, 0.999), ε = 1e-8, no weight decay) over one flat buffer.
/// Every parameter is re-seated as a view of one contiguous tensor and its gradient as a view of another, so a step is
/// the same seven element-wise kernels as <c>optim.Adam</c> runs per parameter, run once over all of them, with no
/// temporaries; zeroing the gradients is one fill. The arithmetic is the same per element (same kernels, same
/// scalars, same order), so the numbers are identical to <c>optim.Adam</c>'s — a test checks it to the last bit.
/// Parameters that cannot share one buffer (mixed dtypes or devices, sparse) fall back to <c>optim.Adam</c>.
/// </summary>
public sealed class FlatAdam : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;
    private const long AlignFloats = 16;
    private readonly Parameter[] parameters;
    private readonly Tensor? param, grad, expAvg, expAvgSq, denom;
    private readonly Scalar? beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps;
    private readonly optim.Optimizer? fallback;
    private readonly double lr;
    private long step;

    private FlatAdam(IEnumerable<Parameter> parameters, double lr)
    {
        this.parameters = parameters.ToArray();
        this.lr = lr;
        if (!CanFlatten(this.parameters))
        {
            fallback = optim.Adam(this.parameters, lr: lr);
            return;
        }
        // Each parameter starts on a 64-byte boundary, as its own allocation would: MKL's kernels pick their code path
        // (and so the rounding of a matrix product) by alignment. The padding stays zero through every step.
        var offsets = new long[this.parameters.Length];
        long total = 0;
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = total;
            total += (this.parameters[i].numel() + AlignFloats - 1) / AlignFloats * AlignFloats;
        }
        var device = this.parameters.Length > 0 ? this.parameters[0].device : CPU;
        param = empty(total, ScalarType.Float32, device);
        grad = zeros(total, ScalarType.Float32, device);
        expAvg = zeros(total, ScalarType.Float32, device);
        expAvgSq = zeros(total, ScalarType.Float32, device);
        denom = empty(total, ScalarType.Float32, device);
        using (no_grad())
        {
            for (var i = 0; i < offsets.Length; i++)
            {
                var p = this.parameters[i];
                var (n, offset) = (p.numel(), offsets[i]);
                using (var slice = param.narrow(0, offset, n))
                using (var data = slice.view(p.shape))
                {
                    data.copy_(p);
                    p.set_(data);
                }
                using (var slice = grad.narrow(0, offset, n))
                using (var view = slice.view(p.shape))
                    p.grad = view;
            }
        }
        beta1 = Beta1;
        oneMinusBeta1 = 1 - Beta1;
        beta2 = Beta2;
        oneMinusBeta2 = 1 - Beta2;
        eps = Eps;
    }

    public static FlatAdam Create(IEnumerable<Parameter> parameters, double lr) => new(parameters, lr);

    /// <summary>True when the one-buffer path is taken (else <c>optim.Adam</c>).</summary>
    public bool IsFlat => fallback is null;

    private static bool CanFlatten(Parameter[] ps) =>
        ps.Length > 0 && ps.All(p => p.requires_grad && p.dtype == ScalarType.Float32 && !p.is_sparse && p.device.type == ps[0].device.type
                                     && p.device.index == ps[0].device.index);

    public void ZeroGrad()
    {
        if (fallback is not null) fallback.zero_grad();
        else grad!.zero_();
    }

    /// <summary>One Adam step, the same operations as TorchSharp's <c>Adam.step</c> in the same order.</summary>
    public void Step()
    {
        if (fallback is not null)
        {
            fallback.step();
            return;
        }
        using var noGrad = no_grad();
        step++;
        var biasCorrection1 = 1 - Math.Pow(Beta1, step);
        var biasCorrection2 = 1 - Math.Pow(Beta2, step);
        expAvg!.mul_(beta1!).add_(grad!, oneMinusBeta1!);
        expAvgSq!.mul_(beta2!).addcmul_(grad!, grad!, oneMinusBeta2!);
        using var sqrtBc2 = (Scalar)Math.Sqrt(biasCorrection2);
        denom!.copy_(expAvgSq).sqrt_().div_(sqrtBc2).add_(eps!);
        using var negStepSize = (Scalar)(-(lr / biasCorrection1));
        param!.addcdiv_(expAvg, denom, negStepSize);
    }

    /// <summary>Gives every parameter (and gradient) its own storage again, so the trained module owns nothing of this.</summary>
    public void Dispose()
    {
        if (fallback is not null)
        {
            fallback.Dispose();
            return;
        }
        using (no_grad())
        {
            foreach (var p in parameters)
            {
                using (var detached = p.detach())
                using (var own = detached.clone())
                    p.set_(own);
                using var g = p.grad;
                using var ownGrad = g?.clone();
                p.grad = ownGrad;
            }
        }
        foreach (var t in new[] { param, grad, expAvg, expAvgSq, denom }) t?.Dispose();
        foreach (var s in new[] { beta1, oneMinusBeta1, beta2, oneMinusBeta2, eps }) s?.Dispose();
    }
}
