using TorchSharp;
using static Distillery.Training.TensorMemory;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Distillery.Training.Optim;

/// <summary>
/// Adam with TorchSharp's <c>optim.Adam</c> defaults (β = (0.9, 0.999), ε = 1e-8, no weight decay) and its numbers to
/// the last bit, but faster. <c>optim.Adam</c> steps each parameter on its own: several element-wise kernels and
/// temporaries per parameter and step, and <c>zero_grad</c> one more kernel per parameter. Here every parameter is
/// re-seated as a 64-byte-aligned view of one contiguous tensor, and its gradient as a view of another, so
/// <see cref="ZeroGrad"/> is one fill and <see cref="Step"/> one pass over all parameters: the fused kernel
/// (<see cref="FusedAdamKernel"/>: three vectorised passes, no temporaries, gradients zeroed on the way), or else
/// <c>optim.Adam</c>'s own libtorch kernels, each run once over the whole buffer. The arithmetic per element is the
/// same (operations, roundings, scalars, order); tests check it to the last bit.
/// Fallbacks: the fused kernel runs only when chosen and when its self-check passed in this process (MKL's square root
/// found in libtorch_cpu, and results bit-identical to libtorch's kernels); otherwise the libtorch kernels run over the
/// flat buffers. Parameters that cannot share one buffer (mixed dtypes or devices, sparse, frozen) get
/// <c>optim.Adam</c> itself. Timings: bench/README.md.
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
    private readonly AdamKernel kernel;
    private long step;
    private bool gradsZero = true;

    private FlatAdam(IEnumerable<Parameter> parameters, double lr, AdamKernel kernel)
    {
        this.parameters = parameters.ToArray();
        this.lr = lr;
        this.kernel = kernel;
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

    /// <summary>Adam over <paramref name="parameters"/>, each step run as <paramref name="kernel"/> says.</summary>
    public static FlatAdam Create(IEnumerable<Parameter> parameters, double lr, AdamKernel kernel = AdamKernel.FusedIeee) =>
        new(parameters, lr, kernel);

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
        switch (kernel)
        {
            case AdamKernel.FusedIeee:
                FusedAdamKernel.StepIeee(Floats(param!), Floats(grad!), Floats(expAvg!), Floats(expAvgSq!), (float)Beta1, (float)(1 - Beta1),
                    (float)Beta2, (float)(1 - Beta2), (float)sqrtBc2, (float)Eps, (float)negStepSize);
                break;
            case AdamKernel.FusedExact when FusedAdamKernel.Verified:
                FusedStep(sqrtBc2, negStepSize);
                break;
            default:
                TorchStep(sqrtBc2, negStepSize);
                break;
        }
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
    /// p + (c·m)/d. Scalars are rounded to float as libtorch does. Used only when <see cref="FusedAdamKernel"/>'s self-check
    /// found it bit-identical to <see cref="TorchStep"/> in this process.
    /// </summary>
    private void FusedStep(double sqrtBc2, double negStepSize)
    {
        var p = Floats(param!);
        var g = Floats(grad!);
        var m = Floats(expAvg!);
        var v = Floats(expAvgSq!);
        var d = Floats(denom!);
        FusedAdamKernel.Step(p, g, m, v, d, (float)Beta1, (float)(1 - Beta1), (float)Beta2, (float)(1 - Beta2),
            (float)sqrtBc2, (float)Eps, (float)negStepSize);
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

/// <summary>How <see cref="FlatAdam"/> runs a step. <see cref="Libtorch"/>: libtorch's element-wise kernels over the flat
/// buffers. <see cref="FusedExact"/>: the fused kernel with libtorch's arithmetic and MKL's square root, bit-identical
/// to <see cref="Libtorch"/>. <see cref="FusedIeee"/> (the default): one vectorised pass with the IEEE square root —
/// the same formula, each root correctly rounded where MKL's is not always (a 1-ulp difference in 17 % of floats), so
/// numbers differ from libtorch's in the last bits; about 3× cheaper per step for the student (bench/README.md).</summary>
public enum AdamKernel { FusedIeee = 0, FusedExact = 1, Libtorch = 2 }
