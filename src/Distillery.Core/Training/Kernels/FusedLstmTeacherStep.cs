using System.Numerics;
using System.Runtime.InteropServices;
using Distillery.Models;
using static TorchSharp.torch;

namespace Distillery.Training.Kernels;

/// <summary>
/// One batch-1 training step of the <see cref="LstmTeacher"/> — forward, MSE loss and backward — in plain vectorised
/// float arithmetic over the module's own parameter and gradient storage, with buffers allocated once. libtorch spends
/// most of a batch-1 teacher step on per-call overhead (oneDNN RNN primitive set-up, autograd bookkeeping, allocation;
/// bench/README.md); the arithmetic itself is ~0.7 M multiply-adds, most of them the first layer's input weights.
/// The formulas are PyTorch's LSTM (gates i, f, g, o; zero initial state) and head; sums run in another order than
/// libtorch's, so the last bits differ (tests compare loss and gradients with autograd's). Gradients are written, not
/// accumulated (the optimizer leaves them zero after each step).
/// </summary>
public sealed class FusedLstmTeacherStep
{
    private readonly int days, features, hidden, layers, head, outputs;
    private readonly bool sigmoidOutput;
    private readonly (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)[] lstm;
    private readonly (Tensor W, Tensor B)[] dense;
    // Activations per layer and day: input to layer (x), gates after their nonlinearity, cell, tanh(cell), output h.
    private readonly float[][] gates, cell, tanhCell, output;
    private readonly float[] z1, a1, z2, a2, z3, yhat, dz3, da2, dz2, da1, dz1, flat, dOutput, dInput, dGates, dhRec, dcNext;

    private FusedLstmTeacherStep(LstmTeacher model, ModelShape shape)
    {
        (days, features, hidden, layers, head, outputs) =
            (shape.InputDays, shape.Features, shape.TeacherHidden, shape.TeacherLayers, shape.TeacherHead, shape.OutputDays);
        sigmoidOutput = !shape.LinearHead;
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        lstm = Enumerable.Range(0, layers).Select(l => (p[$"lstm.weight_ih_l{l}"], p[$"lstm.weight_hh_l{l}"], p[$"lstm.bias_ih_l{l}"],
            p[$"lstm.bias_hh_l{l}"])).ToArray();
        dense = new[] { 1, 3, 5 }.Select(i => (p[$"head.{i}.weight"], p[$"head.{i}.bias"])).ToArray();
        var g4 = 4 * hidden;
        gates = Buffers(layers, days * g4);
        cell = Buffers(layers, days * hidden);
        tanhCell = Buffers(layers, days * hidden);
        output = Buffers(layers, days * hidden);
        (z1, a1, z2, a2, z3, yhat) = (new float[head], new float[head], new float[head], new float[head], new float[outputs], new float[outputs]);
        (dz3, da2, dz2, da1, dz1) = (new float[outputs], new float[head], new float[head], new float[head], new float[head]);
        flat = new float[days * hidden];
        dOutput = new float[days * hidden];
        dInput = new float[days * hidden];
        dGates = new float[days * g4];
        dhRec = new float[hidden];
        dcNext = new float[hidden];
    }

    private static float[][] Buffers(int n, int size) => Enumerable.Range(0, n).Select(_ => new float[size]).ToArray();

    /// <summary>The step for <paramref name="model"/>, or null when its parameters are not what this kernel computes
    /// (a CPU float32 teacher of the study's architecture, every parameter with contiguous storage and a gradient).</summary>
    public static FusedLstmTeacherStep? For(nn.Module<Tensor, Tensor> model)
    {
        if (model is not LstmTeacher teacher) return null;
        var shape = teacher.Shape;
        var ps = teacher.parameters().ToArray();
        if (ps.Any(x => x.dtype != ScalarType.Float32 || x.device.type != TorchSharp.DeviceType.CPU || !x.is_contiguous() || x.grad is null))
            return null;
        try { return new FusedLstmTeacherStep(teacher, shape); }
        catch (KeyNotFoundException) { return null; }
    }

    private static Span<float> Of(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);

    /// <summary>Forward, loss and backward on one window (<paramref name="x"/>: days × features, row-major;
    /// <paramref name="y"/>: the outputs' targets). Returns the window's MSE (mean over outputs); the parameters'
    /// gradients hold its gradient afterwards.</summary>
    public float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != days * features || y.Length != outputs) throw new ArgumentException("window of the wrong size");
        Forward(x);
        var loss = 0f;
        for (var k = 0; k < outputs; k++)
        {
            var e = yhat[k] - y[k];
            loss += e * e;
            var dy = 2f * e / outputs;
            dz3[k] = sigmoidOutput ? dy * yhat[k] * (1 - yhat[k]) : dy;
        }
        Backward(x);
        return loss / outputs;
    }

    private void Forward(ReadOnlySpan<float> x)
    {
        var g4 = 4 * hidden;
        for (var l = 0; l < layers; l++)
        {
            var (wihT, whhT, bihT, bhhT) = lstm[l];
            ReadOnlySpan<float> wih = Of(wihT), whh = Of(whhT), bih = Of(bihT), bhh = Of(bhhT);
            ReadOnlySpan<float> input = l == 0 ? x : output[l - 1];
            var width = l == 0 ? features : hidden;
            var gl = gates[l];
            // Input contributions of every day at once: gates[t] = W_ih · x_t + b_ih + b_hh.
            for (var r = 0; r < g4; r++)
            {
                var row = wih.Slice(r * width, width);
                var bias = bih[r] + bhh[r];
                for (var t = 0; t < days; t++) gl[t * g4 + r] = Dot(row, input.Slice(t * width, width)) + bias;
            }
            var c = cell[l];
            var tc = tanhCell[l];
            var h = output[l];
            for (var t = 0; t < days; t++)
            {
                var gt = gl.AsSpan(t * g4, g4);
                if (t > 0)
                {
                    ReadOnlySpan<float> hPrev = h.AsSpan((t - 1) * hidden, hidden);
                    for (var r = 0; r < g4; r++) gt[r] += Dot(whh.Slice(r * hidden, hidden), hPrev);
                }
                for (var j = 0; j < hidden; j++)
                {
                    var i = Sigmoid(gt[j]);
                    var f = Sigmoid(gt[hidden + j]);
                    var g = MathF.Tanh(gt[2 * hidden + j]);
                    var o = Sigmoid(gt[3 * hidden + j]);
                    (gt[j], gt[hidden + j], gt[2 * hidden + j], gt[3 * hidden + j]) = (i, f, g, o);
                    var cPrev = t > 0 ? c[(t - 1) * hidden + j] : 0f;
                    var ct = f * cPrev + i * g;
                    c[t * hidden + j] = ct;
                    var tct = MathF.Tanh(ct);
                    tc[t * hidden + j] = tct;
                    h[t * hidden + j] = o * tct;
                }
            }
        }
        output[layers - 1].CopyTo(flat, 0);
        Dense(0, flat, z1);
        Relu(z1, a1);
        Dense(1, a1, z2);
        Relu(z2, a2);
        Dense(2, a2, z3);
        for (var k = 0; k < outputs; k++) yhat[k] = sigmoidOutput ? Sigmoid(z3[k]) : z3[k];
    }

    private void Backward(ReadOnlySpan<float> x)
    {
        // Head, top down.
        DenseBackward(2, a2, dz3, da2);
        for (var j = 0; j < head; j++) dz2[j] = z2[j] > 0 ? da2[j] : 0;
        DenseBackward(1, a1, dz2, da1);
        for (var j = 0; j < head; j++) dz1[j] = z1[j] > 0 ? da1[j] : 0;
        DenseBackward(0, flat, dz1, dOutput);

        var g4 = 4 * hidden;
        for (var l = layers - 1; l >= 0; l--)
        {
            var (wihT, whhT, bihT, bhhT) = lstm[l];
            ReadOnlySpan<float> wih = Of(wihT), whh = Of(whhT);
            Span<float> dWih = Of(wihT.grad!), dWhh = Of(whhT.grad!), dBih = Of(bihT.grad!), dBhh = Of(bhhT.grad!);
            var (gl, c, tc, h) = (gates[l], cell[l], tanhCell[l], output[l]);
            Array.Clear(dhRec);
            Array.Clear(dcNext);
            for (var t = days - 1; t >= 0; t--)
            {
                var gt = gl.AsSpan(t * g4, g4);
                var dg = dGates.AsSpan(t * g4, g4);
                for (var j = 0; j < hidden; j++)
                {
                    var (i, f, g, o) = (gt[j], gt[hidden + j], gt[2 * hidden + j], gt[3 * hidden + j]);
                    var dh = dOutput[t * hidden + j] + dhRec[j];
                    var tct = tc[t * hidden + j];
                    var dc = dh * o * (1 - tct * tct) + dcNext[j];
                    var cPrev = t > 0 ? c[(t - 1) * hidden + j] : 0f;
                    dg[j] = dc * g * i * (1 - i);
                    dg[hidden + j] = dc * cPrev * f * (1 - f);
                    dg[2 * hidden + j] = dc * i * (1 - g * g);
                    dg[3 * hidden + j] = dh * tct * o * (1 - o);
                    dcNext[j] = dc * f;
                }
                // dh of day t − 1 through the recurrence: W_hhᵀ · dgates.
                Array.Clear(dhRec);
                if (t > 0)
                    for (var r = 0; r < g4; r++) Axpy(dg[r], whh.Slice(r * hidden, hidden), dhRec);
            }
            // Weight gradients over all days at once.
            ReadOnlySpan<float> input = l == 0 ? x : output[l - 1];
            var width = l == 0 ? features : hidden;
            for (var r = 0; r < g4; r++)
            {
                var row = dWih.Slice(r * width, width);
                row.Clear();
                var recurrent = dWhh.Slice(r * hidden, hidden);
                recurrent.Clear();
                var bias = 0f;
                for (var t = 0; t < days; t++)
                {
                    var d = dGates[t * g4 + r];
                    bias += d;
                    Axpy(d, input.Slice(t * width, width), row);
                    if (t > 0) Axpy(d, h.AsSpan((t - 1) * hidden, hidden), recurrent);
                }
                dBih[r] = bias;
                dBhh[r] = bias;
            }
            if (l == 0) break;
            // The layer below's output gradient: W_ihᵀ · dgates, per day.
            Array.Clear(dInput);
            for (var t = 0; t < days; t++)
            {
                var target = dInput.AsSpan(t * hidden, hidden);
                for (var r = 0; r < g4; r++) Axpy(dGates[t * g4 + r], wih.Slice(r * hidden, hidden), target);
            }
            dInput.CopyTo(dOutput, 0);
        }
    }

    /// <summary>z = W · a + b for head layer <paramref name="layer"/>.</summary>
    private void Dense(int layer, ReadOnlySpan<float> a, Span<float> z)
    {
        ReadOnlySpan<float> w = Of(dense[layer].W), b = Of(dense[layer].B);
        for (var r = 0; r < z.Length; r++) z[r] = Dot(w.Slice(r * a.Length, a.Length), a) + b[r];
    }

    /// <summary>dW = dz ⊗ a, db = dz, da = Wᵀ · dz.</summary>
    private void DenseBackward(int layer, ReadOnlySpan<float> a, ReadOnlySpan<float> dz, Span<float> da)
    {
        var (wT, bT) = dense[layer];
        ReadOnlySpan<float> w = Of(wT);
        Span<float> dW = Of(wT.grad!), dB = Of(bT.grad!);
        da.Clear();
        for (var r = 0; r < dz.Length; r++)
        {
            dB[r] = dz[r];
            var row = dW.Slice(r * a.Length, a.Length);
            row.Clear();
            Axpy(dz[r], a, row);
            Axpy(dz[r], w.Slice(r * a.Length, a.Length), da);
        }
    }

    private static void Relu(ReadOnlySpan<float> z, Span<float> a)
    {
        for (var i = 0; i < z.Length; i++) a[i] = z[i] > 0 ? z[i] : 0;
    }

    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
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
    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        if (alpha == 0) return;
        var n = Vector<float>.Count;
        var a = new Vector<float>(alpha);
        var i = 0;
        for (; i <= x.Length - n; i += n) Vector.FusedMultiplyAdd(a, new Vector<float>(x[i..]), new Vector<float>(y[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
