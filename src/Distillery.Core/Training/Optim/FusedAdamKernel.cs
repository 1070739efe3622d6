using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace Distillery.Training.Optim;

/// <summary>
/// The fused Adam update over float spans. Bit-identical to libtorch's separate kernels by construction (same
/// operations, same roundings, fused multiply-adds where libtorch's kernels use them, libtorch's own MKL square root),
/// and checked: <see cref="Verified"/> runs both on random data once per process and is false on any difference (or
/// when the square root routine cannot be found), in which case the trainer uses libtorch's kernels.
/// </summary>
internal static class FusedAdamKernel
{
    /// <summary>Elements per MKL call: its square root costs more per element in short calls (bench/README.md).</summary>
    private const int Block = 1 << 20;

    /// <summary>The smallest positive normal float, 2⁻¹²⁶.</summary>
    private const float MinNormal = 1.17549435E-38f;

    private static readonly Vector256<float> MinNormals = Vector256.Create(MinNormal);

    /// <summary>The vector passes need fused multiply-adds (the moments are fma's) and hardware 256-bit vectors.</summary>
    private static readonly bool Vectorised = Fma.IsSupported && Vector256.IsHardwareAccelerated;

    private static readonly nuint Width = (nuint)Vector256<float>.Count;

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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Step(Span<float> p, Span<float> g, Span<float> m, Span<float> v, Span<float> d,
        float beta1, float alpha1, float beta2, float alpha2, float sqrtBc2, float eps, float negStepSize)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length || d.Length < Math.Min(Block, p.Length))
            throw new ArgumentException("spans differ in length");
        var mode = VmlMode;
        for (var start = 0; start < p.Length; start += Block)
        {
            var n = Math.Min(Block, p.Length - start);
            var block = new Lanes(p.Slice(start, n), g.Slice(start, n), m.Slice(start, n), v.Slice(start, n), d[..n]);
            Moments(block, beta1, alpha1, beta2, alpha2);
            Sqrt!(ref n, ref block.D, ref block.D, ref mode);
            Update(block, sqrtBc2, eps, negStepSize);
        }
    }

    /// <summary>
    /// The whole step in one pass, IEEE square root: m = fma(g, α₁, m·β₁); v = fma(α₂·g, g, v·β₂);
    /// p = p + (c·m)/(√v / √(1−β₂ᵗ) + ε); g = 0. The same operations and roundings as <see cref="Step"/> except the
    /// root (correctly rounded here); no scratch buffer, each element read and written once.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void StepIeee(Span<float> p, Span<float> g, Span<float> m, Span<float> v,
        float beta1, float alpha1, float beta2, float alpha2, float sqrtBc2, float eps, float negStepSize)
    {
        if (g.Length != p.Length || m.Length != p.Length || v.Length != p.Length) throw new ArgumentException("spans differ in length");
        ref var P = ref MemoryMarshal.GetReference(p);
        ref var G = ref MemoryMarshal.GetReference(g);
        ref var M = ref MemoryMarshal.GetReference(m);
        ref var V = ref MemoryMarshal.GetReference(v);
        var length = (nuint)p.Length;
        nuint i = 0;
        if (Vectorised)
        {
            var (b1, a1, b2, a2) = (Vector256.Create(beta1), Vector256.Create(alpha1), Vector256.Create(beta2), Vector256.Create(alpha2));
            var (s, e, c) = (Vector256.Create(sqrtBc2), Vector256.Create(eps), Vector256.Create(negStepSize));
            for (var end = length - length % Width; i < end; i += Width)
            {
                var gv = Vector256.LoadUnsafe(ref G, i);
                var mv = Fma.MultiplyAdd(gv, a1, Vector256.LoadUnsafe(ref M, i) * b1);
                var vv = Fma.MultiplyAdd(a2 * gv, gv, Vector256.LoadUnsafe(ref V, i) * b2);
                mv.StoreUnsafe(ref M, i);
                vv.StoreUnsafe(ref V, i);
                (Vector256.LoadUnsafe(ref P, i) + c * mv / (Vector256.Sqrt(vv) / s + e)).StoreUnsafe(ref P, i);
                Vector256<float>.Zero.StoreUnsafe(ref G, i);
            }
        }
        for (; i < length; i++)
        {
            ref var gi = ref Unsafe.Add(ref G, i);
            ref var mi = ref Unsafe.Add(ref M, i);
            ref var vi = ref Unsafe.Add(ref V, i);
            mi = MathF.FusedMultiplyAdd(gi, alpha1, mi * beta1);
            vi = MathF.FusedMultiplyAdd(alpha2 * gi, gi, vi * beta2);
            ref var pi = ref Unsafe.Add(ref P, i);
            pi = pi + negStepSize * mi / (MathF.Sqrt(vi) / sqrtBc2 + eps);
            gi = 0;
        }
    }

    /// <summary>One block of the five buffers, as references to their first elements, all <see cref="Length"/> long:
    /// the unchecked loads and stores of the passes stay inside every one of them.</summary>
    private readonly ref struct Lanes(Span<float> p, Span<float> g, Span<float> m, Span<float> v, Span<float> d)
    {
        public readonly ref float P = ref MemoryMarshal.GetReference(p);
        public readonly ref float G = ref MemoryMarshal.GetReference(g);
        public readonly ref float M = ref MemoryMarshal.GetReference(m);
        public readonly ref float V = ref MemoryMarshal.GetReference(v);
        public readonly ref float D = ref MemoryMarshal.GetReference(d);
        public readonly nuint Length = (nuint)p.Length;

        /// <summary>The elements that whole vectors cover (none without FMA and 256-bit vectors); the rest is the
        /// scalar tail.</summary>
        public nuint VectorLength => Vectorised ? Length - Length % Width : 0;
    }

    /// <summary>m = fma(g, α₁, m·β₁); v = fma(α₂·g, g, v·β₂); g = 0; d = v, or 1 where v is zero or subnormal (their
    /// square roots are taken exactly in <see cref="Update"/>: MKL's equal IEEE's there, but its special-case path is
    /// slow, and a trained model's v has many exact zeros).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Moments(Lanes x, float beta1, float alpha1, float beta2, float alpha2)
    {
        var b1 = Vector256.Create(beta1);
        var a1 = Vector256.Create(alpha1);
        var b2 = Vector256.Create(beta2);
        var a2 = Vector256.Create(alpha2);
        var one = Vector256<float>.One;
        nuint i = 0, vectorEnd = x.VectorLength;
        for (; i < vectorEnd; i += Width)
        {
            var gv = Vector256.LoadUnsafe(ref x.G, i);
            Fma.MultiplyAdd(gv, a1, Vector256.LoadUnsafe(ref x.M, i) * b1).StoreUnsafe(ref x.M, i);
            var vv = Fma.MultiplyAdd(a2 * gv, gv, Vector256.LoadUnsafe(ref x.V, i) * b2);
            vv.StoreUnsafe(ref x.V, i);
            Vector256.ConditionalSelect(Vector256.LessThan(vv, MinNormals), one, vv).StoreUnsafe(ref x.D, i);
            Vector256<float>.Zero.StoreUnsafe(ref x.G, i);
        }
        for (; i < x.Length; i++)
        {
            ref var g = ref Unsafe.Add(ref x.G, i);
            ref var m = ref Unsafe.Add(ref x.M, i);
            ref var v = ref Unsafe.Add(ref x.V, i);
            m = MathF.FusedMultiplyAdd(g, alpha1, m * beta1);
            v = MathF.FusedMultiplyAdd(alpha2 * g, g, v * beta2);
            Unsafe.Add(ref x.D, i) = v < MinNormal ? 1 : v;
            g = 0;
        }
    }

    /// <summary>√v (d holds MKL's √v, except where v is zero or subnormal); den = √v / √(1−β₂ᵗ) + ε; p = p + (c·m)/den.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Update(Lanes x, float sqrtBc2, float eps, float c)
    {
        var s = Vector256.Create(sqrtBc2);
        var e = Vector256.Create(eps);
        var cv = Vector256.Create(c);
        nuint i = 0, vectorEnd = x.VectorLength;
        for (; i < vectorEnd; i += Width)
        {
            var root = Vector256.LoadUnsafe(ref x.D, i);
            var vv = Vector256.LoadUnsafe(ref x.V, i);
            var tiny = Vector256.LessThan(vv, MinNormals);
            if (tiny != Vector256<float>.Zero) root = Vector256.ConditionalSelect(tiny, Vector256.Sqrt(vv), root);
            var den = root / s + e;
            (Vector256.LoadUnsafe(ref x.P, i) + cv * Vector256.LoadUnsafe(ref x.M, i) / den).StoreUnsafe(ref x.P, i);
        }
        for (; i < x.Length; i++)
        {
            var v = Unsafe.Add(ref x.V, i);
            var root = v < MinNormal ? MathF.Sqrt(v) : Unsafe.Add(ref x.D, i);
            var den = root / sqrtBc2 + eps;
            ref var p = ref Unsafe.Add(ref x.P, i);
            p = p + c * Unsafe.Add(ref x.M, i) / den;
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
                            Step(TensorMemory.Floats(p), TensorMemory.Floats(g), TensorMemory.Floats(m), TensorMemory.Floats(v),
                                TensorMemory.Floats(d), (float)0.9, (float)(1 - 0.9), (float)0.999,
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
