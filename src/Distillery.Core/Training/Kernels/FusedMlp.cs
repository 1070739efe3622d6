using System.Runtime.CompilerServices;
using System.Numerics;
using static Distillery.Training.TensorMemory;
using static TorchSharp.torch;

namespace Distillery.Training.Kernels;

/// <summary>
/// A stack of linear layers with ReLU between them and an optional sigmoid on the output, for one window at a time:
/// forward keeping the activations, the MSE loss's gradient, and backward adding each weight's and bias's gradient
/// into the module's own gradient storage (which the optimizer leaves zero after each step: adding to zero is writing). The
/// student is one; the teacher's head is another. Buffers are allocated once.
/// </summary>
internal sealed class FusedMlp : IDisposable
{
    private readonly (Tensor W, Tensor B, Tensor DW, Tensor DB)[] layers;
    private readonly bool sigmoidOutput;
    private readonly float[][] z, a, dz;
    private readonly float[] da;

    /// <param name="layers">Each layer's weight and bias parameters; their gradient tensors are taken once here and
    /// disposed with this.</param>
    public FusedMlp((Tensor W, Tensor B)[] layers, bool sigmoidOutput)
    {
        this.layers = layers.Select(l => (l.W, l.B, l.W.grad!, l.B.grad!)).ToArray();
        this.sigmoidOutput = sigmoidOutput;
        var widths = layers.Select(l => (int)l.W.shape[0]).ToArray();
        z = widths.Select(n => new float[n]).ToArray();
        a = widths.Select(n => new float[n]).ToArray();
        dz = widths.Select(n => new float[n]).ToArray();
        da = new float[widths.Max()];
    }

    public ReadOnlySpan<float> Output => a[^1];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input)
    {
        for (var i = 0; i < layers.Length; i++)
        {
            ReadOnlySpan<float> source = i == 0 ? input : a[i - 1];
            ReadOnlySpan<float> w = Floats(layers[i].W), b = Floats(layers[i].B);
            var (zi, ai) = (z[i], a[i]);
            for (var r = 0; r < zi.Length; r++) zi[r] = VectorMath.Dot(w.Slice(r * source.Length, source.Length), source) + b[r];
            var last = i == layers.Length - 1;
            for (var r = 0; r < zi.Length; r++)
                ai[r] = !last ? MathF.Max(zi[r], 0) : sigmoidOutput ? VectorMath.Sigmoid(zi[r]) : zi[r];
        }
    }

    /// <summary>The MSE of the output against <paramref name="y"/> (mean over outputs), and its gradient at the output
    /// layer's pre-activation times <paramref name="scale"/> (1/n for one window of a batch of n), ready for
    /// <see cref="Backward"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float MseLoss(ReadOnlySpan<float> y, float scale = 1f)
    {
        var (output, d) = (a[^1], dz[^1]);
        if (y.Length != output.Length) throw new ArgumentException("target of the wrong size");
        var loss = 0f;
        for (var k = 0; k < output.Length; k++)
        {
            var e = output[k] - y[k];
            loss += e * e;
            var dy = scale == 1f ? 2f * e / output.Length : 2f * e / output.Length * scale;
            d[k] = sigmoidOutput ? dy * output[k] * (1 - output[k]) : dy;
        }
        return loss / output.Length;
    }

    /// <summary>Adds every layer's gradients; <paramref name="dInput"/> (unless empty) gets the input's gradient.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Backward(ReadOnlySpan<float> input, Span<float> dInput)
    {
        for (var i = layers.Length - 1; i >= 0; i--)
        {
            ReadOnlySpan<float> source = i == 0 ? input : a[i - 1];
            var (wT, _, dwT, dbT) = layers[i];
            ReadOnlySpan<float> w = Floats(wT);
            Span<float> dW = Floats(dwT), dB = Floats(dbT);
            var d = dz[i];
            var below = i > 0 ? da.AsSpan(0, source.Length) : dInput;
            below.Clear();
            for (var r = 0; r < d.Length; r++)
            {
                dB[r] += d[r];
                VectorMath.Axpy(d[r], source, dW.Slice(r * source.Length, source.Length));
                if (!below.IsEmpty) VectorMath.Axpy(d[r], w.Slice(r * source.Length, source.Length), below);
            }
            if (i == 0) break;
            var (zBelow, dzBelow) = (z[i - 1], dz[i - 1]);
            for (var j = 0; j < zBelow.Length; j++) dzBelow[j] = zBelow[j] > 0 ? da[j] : 0;
        }
    }

    public void Dispose()
    {
        foreach (var (_, _, dw, db) in layers)
        {
            dw.Dispose();
            db.Dispose();
        }
    }
}

/// <summary>The vector kernels of the fused steps.</summary>
internal static class VectorMath
{
    public static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var n = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= a.Length - n; i += n) acc = Vector.FusedMultiplyAdd(new Vector<float>(a[i..]), new Vector<float>(b[i..]), acc);
        var sum = Vector.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y += α · x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        if (alpha == 0) return;
        var n = Vector<float>.Count;
        var a = new Vector<float>(alpha);
        var i = 0;
        for (; i <= x.Length - n; i += n) Vector.FusedMultiplyAdd(a, new Vector<float>(x[i..]), new Vector<float>(y[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
