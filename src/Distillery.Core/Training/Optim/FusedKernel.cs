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
