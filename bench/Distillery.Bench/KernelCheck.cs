using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>
/// The evidence behind the fused Adam kernel (src/Distillery.Core/Training/Optim/FusedAdamKernel.cs): which float
/// formula each of libtorch's Adam kernels computes (fused multiply-add or not), on random data over wide magnitudes;
/// and MKL's square root (which libtorch's <c>sqrt</c> calls) against IEEE's: exhaustively on zero and every subnormal,
/// sampled on normals.
/// </summary>
public static class KernelCheck
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void VmsSqrt(ref int n, ref float a, ref float r, ref long mode);

    public static void Run()
    {
        set_num_threads(1);
        var n = 4_000_000;
        using var gen = new Generator(3);
        Tensor Wide(double lo, double hi) => (rand(n, generator: gen) * (hi - lo) + lo).exp() * (rand(n, generator: gen) - 0.5).sign();
        var m = Wide(-20, 0); var g = Wide(-25, 2); var v = Wide(-40, -5).abs(); var p = randn(n, generator: gen);
        float[] A(Tensor t) => t.data<float>().ToArray();
        float b1 = (float)0.9, a1 = (float)(1 - 0.9), a2 = (float)(1 - 0.999), eps = (float)1e-8;
        var fm = A(m); var fg = A(g); var fv = A(v); var fp = A(p);
        void Report(string name, float[] torchResult, Func<int, float> formula)
        {
            var diff = 0;
            for (var i = 0; i < n; i++) if (BitConverter.SingleToInt32Bits(torchResult[i]) != BitConverter.SingleToInt32Bits(formula(i))) diff++;
            Console.WriteLine($"{name,-40} {diff,9} of {n} differ");
        }
        var r = A(m.clone().mul_(0.9));
        Report("mul_: m*b1", r, i => fm[i] * b1);
        r = A(m.clone().add_(g, 1 - 0.9));
        Report("add_ alpha: fma(g,a,m)", r, i => MathF.FusedMultiplyAdd(fg[i], a1, fm[i]));
        Report("add_ alpha: m + a*g", r, i => fm[i] + a1 * fg[i]);
        r = A(v.clone().addcmul_(g, g, 1 - 0.999));
        Report("addcmul_: fma(a*g, g, v)", r, i => MathF.FusedMultiplyAdd(a2 * fg[i], fg[i], fv[i]));
        Report("addcmul_: v + (a*g)*g", r, i => fv[i] + (a2 * fg[i]) * fg[i]);
        r = A(v.sqrt());
        Report("sqrt: IEEE (MathF.Sqrt)", r, i => MathF.Sqrt(fv[i]));
        r = A(v.clone().add_(1e-8));
        Report("add_ eps", r, i => fv[i] + eps);
        var d = v.sqrt().add_(1e-8); var fd = A(d);
        var c = -(1e-4 / (1 - Math.Pow(0.9, 3)));
        r = A(p.clone().addcdiv_(m, d, c));
        Report("addcdiv_: p + (c*m)/d", r, i => fp[i] + ((float)c * fm[i]) / fd[i]);
        Report("addcdiv_: p + c*(m/d)", r, i => fp[i] + (float)c * (fm[i] / fd[i]));

        _ = CPU;
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(TorchSharp.torch).Assembly, null, out var lib)
            || !NativeLibrary.TryGetExport(lib, "VMSSQRT_", out var f))
        {
            Console.WriteLine("MKL VMSSQRT_ not exported by libtorch_cpu: the trainer uses libtorch's kernels");
            return;
        }
        var sqrt = Marshal.GetDelegateForFunctionPointer<VmsSqrt>(f);
        long mode = 0x2 | 0x140000 | 0x100; // VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE, as libtorch calls it
        const int count = 1 << 23;
        var x = new float[count];
        var y = new float[count];
        for (var i = 0; i < count; i++) x[i] = BitConverter.Int32BitsToSingle(i); // +0 and every positive subnormal
        var k = count;
        sqrt(ref k, ref x[0], ref y[0], ref mode);
        var diffSub = 0;
        for (var i = 0; i < count; i++) if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(MathF.Sqrt(x[i]))) diffSub++;
        Console.WriteLine($"MKL sqrt vs IEEE on +0 and all {count - 1} subnormals: {diffSub} differ");
        long diffNormal = 0, total = 0;
        for (long start = 0x00800000; start < 0x7F800000; start += (long)count * 64)
        {
            var j = 0;
            for (var b = start; b < Math.Min(start + (long)count * 64, 0x7F800000) && j < count; b += 64) x[j++] = BitConverter.Int32BitsToSingle((int)b);
            sqrt(ref j, ref x[0], ref y[0], ref mode);
            for (var i = 0; i < j; i++) if (BitConverter.SingleToInt32Bits(y[i]) != BitConverter.SingleToInt32Bits(MathF.Sqrt(x[i]))) diffNormal++;
            total += j;
        }
        Console.WriteLine($"MKL sqrt vs IEEE on every 64th positive normal float: {diffNormal} of {total} differ");
    }
}
