using Distillery.Models;
using static Distillery.Training.Kernels.VectorMath;
using static Distillery.Training.TensorMemory;
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
public sealed class FusedLstmTeacherStep : IFusedStep
{
    private readonly int days, features, hidden, layers, outputs;
    private readonly (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)[] lstm;
    // The gradient tensors of the LSTM's parameters, taken once (each .grad call is a new handle).
    private readonly (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)[] lstmGrads;
    private readonly FusedMlp head;
    // Activations per layer and day: input to layer (x), gates after their nonlinearity, cell, tanh(cell), output h.
    private readonly float[][] gates, cell, tanhCell, output;
    private readonly float[] flat, dOutput, dInput, dGates, dhRec, dcNext;

    private FusedLstmTeacherStep(LstmTeacher model, ModelShape shape)
    {
        (days, features, hidden, layers, outputs) =
            (shape.InputDays, shape.Features, shape.TeacherHidden, shape.TeacherLayers, shape.OutputDays);
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        lstm = Enumerable.Range(0, layers).Select(l => (p[$"lstm.weight_ih_l{l}"], p[$"lstm.weight_hh_l{l}"], p[$"lstm.bias_ih_l{l}"],
            p[$"lstm.bias_hh_l{l}"])).ToArray();
        lstmGrads = lstm.Select(x => (x.Wih.grad!, x.Whh.grad!, x.Bih.grad!, x.Bhh.grad!)).ToArray();
        head = new FusedMlp(new[] { 1, 3, 5 }.Select(i => (p[$"head.{i}.weight"], p[$"head.{i}.bias"])).ToArray(), !shape.LinearHead);
        var g4 = 4 * hidden;
        gates = Buffers(layers, days * g4);
        cell = Buffers(layers, days * hidden);
        tanhCell = Buffers(layers, days * hidden);
        output = Buffers(layers, days * hidden);
        flat = new float[days * hidden];
        dOutput = new float[days * hidden];
        dInput = new float[days * hidden];
        dGates = new float[days * g4];
        dhRec = new float[hidden];
        dcNext = new float[hidden];
    }

    private static float[][] Buffers(int n, int size) => Enumerable.Range(0, n).Select(_ => new float[size]).ToArray();

    /// <summary>The step for <paramref name="model"/> (see <see cref="FusedSteps.For"/>), or null when its parameters are not what this kernel computes
    /// (a CPU float32 teacher of the study's architecture, every parameter with contiguous storage and a gradient).</summary>
    internal static FusedLstmTeacherStep? For(LstmTeacher teacher)
    {
        try { return new FusedLstmTeacherStep(teacher, teacher.Shape); }
        catch (KeyNotFoundException) { return null; }
    }

    /// <summary>Forward, loss and backward on one window (<paramref name="x"/>: days × features, row-major;
    /// <paramref name="y"/>: the outputs' targets). Returns the window's MSE (mean over outputs); the parameters'
    /// gradients hold its gradient afterwards.</summary>
    public float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != days * features || y.Length != outputs) throw new ArgumentException("window of the wrong size");
        Forward(x);
        var loss = head.MseLoss(y);
        Backward(x);
        return loss;
    }

    private void Forward(ReadOnlySpan<float> x)
    {
        var g4 = 4 * hidden;
        for (var l = 0; l < layers; l++)
        {
            var (wihT, whhT, bihT, bhhT) = lstm[l];
            ReadOnlySpan<float> wih = Floats(wihT), whh = Floats(whhT), bih = Floats(bihT), bhh = Floats(bhhT);
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
        head.Forward(flat);
    }

    private void Backward(ReadOnlySpan<float> x)
    {
        head.Backward(flat, dOutput);

        var g4 = 4 * hidden;
        for (var l = layers - 1; l >= 0; l--)
        {
            var (wihT, whhT, _, _) = lstm[l];
            var (dwihT, dwhhT, dbihT, dbhhT) = lstmGrads[l];
            ReadOnlySpan<float> wih = Floats(wihT), whh = Floats(whhT);
            Span<float> dWih = Floats(dwihT), dWhh = Floats(dwhhT), dBih = Floats(dbihT), dBhh = Floats(dbhhT);
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

    public void Dispose()
    {
        head.Dispose();
        foreach (var (a, b, c, d) in lstmGrads)
            foreach (var t in new[] { a, b, c, d }) t.Dispose();
    }
}
