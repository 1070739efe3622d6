using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// Every parameter is re-seated as a 64-byte-aligned view of one contiguous tensor and its gradient as a view of
/// another, so a step runs once over all parameters — the fused kernel (<see cref="FusedKernel"/>: three vectorised
/// passes, no temporaries, gradients zeroed on the way), or else the same element-wise libtorch kernels as
/// <c>optim.Adam</c> runs per parameter — instead of ~9 kernels and 2 temporaries per parameter and step. The
/// arithmetic is the same per element (same operations, roundings and scalars, in the same order), so the numbers are
/// identical to <c>optim.Adam</c>'s: tests check it to the last bit. Parameters that cannot share one buffer (mixed
/// dtypes or devices, sparse, frozen) fall back to <c>optim.Adam</c>.
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
    private bool gradsZero = true;

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

    /// <summary>Sets the gradients to zero (nothing to do right after <see cref="Step"/>, which leaves them zero).</summary>
    public void ZeroGrad()
    {
        if (fallback is not null) fallback.zero_grad();
        else if (!gradsZero) grad!.zero_();
        gradsZero = false;
    }

    /// <summary>One Adam step: the same arithmetic as TorchSharp's <c>Adam.step</c>, element by element. Afterwards the
    /// gradients are zero.</summary>
    public void Step()
    {
        if (fallback is not null)
        {
            fallback.step();
            return;
        }
        step++;
        var biasCorrection1 = 1 - Math.Pow(Beta1, step);
        var biasCorrection2 = 1 - Math.Pow(Beta2, step);
        var sqrtBc2 = Math.Sqrt(biasCorrection2);
        var negStepSize = -(lr / biasCorrection1);
        if (UseFusedKernel) FusedStep(sqrtBc2, negStepSize);
        else TorchStep(sqrtBc2, negStepSize);
        gradsZero = true;
    }

    /// <summary>The step as libtorch kernels, one per operation of <c>Adam.step</c> (each over the whole buffer).</summary>
    private void TorchStep(double sqrtBc2, double negStepSize)
    {
        using var noGrad = no_grad();
        expAvg!.mul_(beta1!).add_(grad!, oneMinusBeta1!);
        expAvgSq!.mul_(beta2!).addcmul_(grad!, grad!, oneMinusBeta2!);
        using var sqrtBc2Scalar = (Scalar)sqrtBc2;
        denom!.copy_(expAvgSq).sqrt_().div_(sqrtBc2Scalar).add_(eps!);
        using var negStepSizeScalar = (Scalar)negStepSize;
        param!.addcdiv_(expAvg, denom, negStepSizeScalar);
        grad!.zero_();
    }

    /// <summary>
    /// The same step in three vectorised passes (moments; MKL's square root; update), with the exact float arithmetic of
    /// libtorch's CPU kernels: <c>mul_</c> m·β₁, then <c>add_(g, α)</c> = fma(g, α, ·); <c>addcmul_</c> = fma(α·g, g, ·);
    /// square root by the same MKL routine libtorch's <c>sqrt</c> calls; <c>div_</c>, <c>add_(ε)</c>; <c>addcdiv_</c> =
    /// p + (c·m)/d. Scalars are rounded to float as libtorch does. Used only when <see cref="FusedKernel"/>'s self-check
    /// found it bit-identical to <see cref="TorchStep"/> in this process.
    /// </summary>
    private void FusedStep(double sqrtBc2, double negStepSize)
    {
        var p = MemoryMarshal.Cast<byte, float>(param!.bytes);
        var g = MemoryMarshal.Cast<byte, float>(grad!.bytes);
        var m = MemoryMarshal.Cast<byte, float>(expAvg!.bytes);
        var v = MemoryMarshal.Cast<byte, float>(expAvgSq!.bytes);
        var d = MemoryMarshal.Cast<byte, float>(denom!.bytes);
        FusedKernel.Step(p, g, m, v, d, (float)Beta1, (float)(1 - Beta1), (float)Beta2, (float)(1 - Beta2),
            (float)sqrtBc2, (float)Eps, (float)negStepSize);
    }

    /// <summary>False forces the one-kernel-per-operation path (tests and benchmarks compare the two).</summary>
    public static bool FusedEnabled { get; set; } = true;

    private static bool UseFusedKernel => FusedEnabled && FusedKernel.Verified;

    /// <summary>True when steps run the fused kernel (enabled, and its self-check passed in this process).</summary>
    public static bool FusedActive => UseFusedKernel;

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

/// <summary>
/// The fused Adam update over float spans. Bit-identical to libtorch's separate kernels by construction (same
/// operations, same roundings, fused multiply-adds where libtorch's kernels use them, libtorch's own MKL square root),
/// and checked: <see cref="Verified"/> runs both on random data once per process and is false on any difference (or
/// when the square root routine cannot be found), in which case the trainer uses libtorch's kernels.
/// </summary>
internal static class FusedKernel
{
    /// <summary>Elements per MKL call: its square root costs much more per element in short calls (measured: 2× at 2048).</summary>
    private const int Block = 1 << 20;

    /// <summary>The smallest positive normal float, 2⁻¹²⁶.</summary>
    private const float MinNormal = 1.17549435E-38f;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void VmsSqrt(ref int n, ref float a, ref float r, ref long mode);

    /// <summary>libtorch's float <c>sqrt</c> calls MKL's <c>vmsSqrt</c> with VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE.</summary>
    private const long VmlMode = 0x2 | 0x140000 | 0x100;

    private static readonly VmsSqrt? Sqrt = FindSqrt();
    private static readonly Lazy<bool> verified = new(SelfCheck);

    public static bool Verified => verified.Value;

    private static VmsSqrt? FindSqrt()
    {
        try
        {
            _ = torch.CPU; // loads the native libraries
            foreach (var name in new[] { "libtorch_cpu.so", "libtorch_cpu" })
                if (NativeLibrary.TryLoad(name, typeof(torch).Assembly, null, out var lib) && NativeLibrary.TryGetExport(lib, "VMSSQRT_", out var f))
                    return Marshal.GetDelegateForFunctionPointer<VmsSqrt>(f);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException) { }
        return null;
    }

    public static void Step(Span<float> p, Span<float> g, Span<float> m, Span<float> v, Span<float> d,
        float beta1, float alpha1, float beta2, float alpha2, float sqrtBc2, float eps, float negStepSize)
    {
        var mode = VmlMode;
        for (var start = 0; start < p.Length; start += Block)
        {
            var n = Math.Min(Block, p.Length - start);
            var pb = p.Slice(start, n);
            var gb = g.Slice(start, n);
            var mb = m.Slice(start, n);
            var vb = v.Slice(start, n);
            var db = d[..n];
            Moments(gb, mb, vb, db, beta1, alpha1, beta2, alpha2);
            Sqrt!(ref n, ref db[0], ref db[0], ref mode);
            Update(pb, mb, vb, db, sqrtBc2, eps, negStepSize);
        }
    }

    /// <summary>m = fma(g, α₁, m·β₁); v = fma(α₂·g, g, v·β₂); g = 0; d = v, or 1 where v is zero or subnormal (their
    /// square roots are taken exactly in <see cref="Update"/>: MKL's are IEEE's there, checked exhaustively, but its
    /// special-case path costs 30× more per element, and a trained model's v has many exact zeros).</summary>
    private static void Moments(Span<float> g, Span<float> m, Span<float> v, Span<float> d, float beta1, float alpha1, float beta2, float alpha2)
    {
        var n = g.Length;
        if (m.Length != n || v.Length != n || d.Length != n) throw new ArgumentException("spans differ in length");
        ref var gr = ref MemoryMarshal.GetReference(g);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        ref var dr = ref MemoryMarshal.GetReference(d);
        nuint i = 0;
        if (Fma.IsSupported)
        {
            var b1 = Vector256.Create(beta1);
            var a1 = Vector256.Create(alpha1);
            var b2 = Vector256.Create(beta2);
            var a2 = Vector256.Create(alpha2);
            var smallest = Vector256.Create(MinNormal);
            var one = Vector256<float>.One;
            for (; i + (nuint)Vector256<float>.Count <= (nuint)n; i += (nuint)Vector256<float>.Count)
            {
                var gv = Vector256.LoadUnsafe(ref gr, i);
                Fma.MultiplyAdd(gv, a1, Vector256.LoadUnsafe(ref mr, i) * b1).StoreUnsafe(ref mr, i);
                var vv = Fma.MultiplyAdd(a2 * gv, gv, Vector256.LoadUnsafe(ref vr, i) * b2);
                vv.StoreUnsafe(ref vr, i);
                Vector256.ConditionalSelect(Vector256.LessThan(vv, smallest), one, vv).StoreUnsafe(ref dr, i);
                Vector256<float>.Zero.StoreUnsafe(ref gr, i);
            }
        }
        for (; i < (nuint)n; i++)
        {
            var k = (int)i;
            var gi = g[k];
            m[k] = MathF.FusedMultiplyAdd(gi, alpha1, m[k] * beta1);
            v[k] = MathF.FusedMultiplyAdd(alpha2 * gi, gi, v[k] * beta2);
            d[k] = v[k] < MinNormal ? 1 : v[k];
            g[k] = 0;
        }
    }

    /// <summary>√v (d holds MKL's √v, except where v is zero or subnormal); den = √v / √(1−β₂ᵗ) + ε; p = p + (c·m)/den.</summary>
    private static void Update(Span<float> p, Span<float> m, Span<float> v, Span<float> d, float sqrtBc2, float eps, float c)
    {
        var n = p.Length;
        if (m.Length != n || v.Length != n || d.Length != n) throw new ArgumentException("spans differ in length");
        ref var pr = ref MemoryMarshal.GetReference(p);
        ref var mr = ref MemoryMarshal.GetReference(m);
        ref var vr = ref MemoryMarshal.GetReference(v);
        ref var dr = ref MemoryMarshal.GetReference(d);
        nuint i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(sqrtBc2);
            var e = Vector256.Create(eps);
            var cv = Vector256.Create(c);
            var smallest = Vector256.Create(MinNormal);
            for (; i + (nuint)Vector256<float>.Count <= (nuint)n; i += (nuint)Vector256<float>.Count)
            {
                var root = Vector256.LoadUnsafe(ref dr, i);
                var vv = Vector256.LoadUnsafe(ref vr, i);
                var tiny = Vector256.LessThan(vv, smallest);
                if (tiny != Vector256<float>.Zero) root = Vector256.ConditionalSelect(tiny, Vector256.Sqrt(vv), root);
                var den = root / s + e;
                (Vector256.LoadUnsafe(ref pr, i) + cv * Vector256.LoadUnsafe(ref mr, i) / den).StoreUnsafe(ref pr, i);
            }
        }
        for (; i < (nuint)n; i++)
        {
            var k = (int)i;
            var root = v[k] < MinNormal ? MathF.Sqrt(v[k]) : d[k];
            var den = root / sqrtBc2 + eps;
            p[k] = p[k] + c * m[k] / den;
        }
    }

    /// <summary>Three steps of both paths on the same random state; true when every bit agrees.</summary>
    private static bool SelfCheck()
    {
        if (Sqrt is null) return false;
        try
        {
            using var scope = torch.NewDisposeScope();
            using var generator = new torch.Generator(20250101);
            const int n = 70_001; // vectors and a tail
            var shape = new long[] { n };
            var states = new List<torch.Tensor[]>();
            for (var copy = 0; copy < 2; copy++)
            {
                using var draws = new torch.Generator(1); // same draws for both copies
                var v = torch.rand(shape, generator: draws) * 1e-6;
                var g = torch.randn(shape, generator: draws) * 1e-3;
                using (torch.no_grad())
                {
                    // Exact zeros and subnormals, as in a trained model's state (inputs that are always zero).
                    v.index_put_(0f, torch.arange(0, n, 3));
                    v.index_put_(1e-40f, torch.arange(1, n, 7));
                    g.index_put_(0f, torch.arange(0, n, 5));
                    g.index_put_(1e-21f, torch.arange(2, n, 11));
                }
                states.Add([torch.randn(shape, generator: draws), g, torch.randn(shape, generator: draws) * 1e-3, v]);
            }
            for (var t = 1; t <= 3; t++)
            {
                var bc1 = 1 - Math.Pow(0.9, t);
                var bc2 = 1 - Math.Pow(0.999, t);
                foreach (var (st, fused) in new[] { (states[0], false), (states[1], true) })
                {
                    var (p, g, m, v) = (st[0], st[1], st[2], st[3]);
                    using var d = torch.empty(shape);
                    using (torch.no_grad())
                    {
                        if (fused)
                        {
                            Step(MemoryMarshal.Cast<byte, float>(p.bytes), MemoryMarshal.Cast<byte, float>(g.bytes),
                                MemoryMarshal.Cast<byte, float>(m.bytes), MemoryMarshal.Cast<byte, float>(v.bytes),
                                MemoryMarshal.Cast<byte, float>(d.bytes), (float)0.9, (float)(1 - 0.9), (float)0.999,
                                (float)(1 - 0.999), (float)Math.Sqrt(bc2), (float)1e-8, (float)(-(1e-3 / bc1)));
                        }
                        else
                        {
                            m.mul_(0.9).add_(g, 1 - 0.9);
                            v.mul_(0.999).addcmul_(g, g, 1 - 0.999);
                            d.copy_(v).sqrt_().div_(Math.Sqrt(bc2)).add_(1e-8);
                            p.addcdiv_(m, d, -(1e-3 / bc1));
                            g.zero_();
                        }
                        using var next = new torch.Generator((ulong)t);
                        g.copy_(torch.randn(shape, generator: next) * 1e-3);
                        g.index_put_(0f, torch.arange(0, n, 5));
                    }
                }
            }
            for (var k = 0; k < 4; k++)
                if (!states[0][k].bytes.SequenceEqual(states[1][k].bytes)) return false;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }
}
