using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
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
/// libtorch's, so the last bits differ (tests compare loss and gradients with autograd's). Gradients are added to the
/// parameters' gradient storage, which the optimizer leaves zero after each step (on zero storage adding is writing,
/// to the bit).
/// A mini-batch (<see cref="StepBatch"/>) runs the first layer's input weights — nearly all of the arithmetic — as two
/// matrix products over the whole batch (libtorch's GEMM: gates = X·W_ihᵀ forward, dW_ih = dGatesᵀ·X backward) and the
/// rest window by window; its gradient is the batch mean's, as libtorch's MSE over a batch.
/// </summary>
public sealed class FusedLstmTeacherStep : IFusedStep, IFusedBatchStep
{
    private readonly int days, features, hidden, layers, outputs;
    private readonly (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)[] lstm;
    // The gradient tensors of the LSTM's parameters, taken once (each .grad call is a new handle).
    private readonly (Tensor Wih, Tensor Whh, Tensor Bih, Tensor Bhh)[] lstmGrads;
    private readonly FusedMlp head;
    // Activations per layer and day: input to layer (x), gates after their nonlinearity, cell, tanh(cell), output h.
    private readonly float[][] gates, cell, tanhCell, output;
    private readonly float[] flat, dOutput, dInput, dGates, dhRec, dcNext;
    // This step's transposed small weights and their gradients (see BeginStep); the first layer's W_ih has none.
    private readonly float[][] whhT, wihT, dWhhT, dWihT;
    private readonly Tensor wih0Transposed, dWih0;
    // Mini-batch buffers, as tensors for the GEMMs, grown on demand: inputs [windows·days, features], first-layer
    // gate pre-activations and their gradients [windows·days, 4·hidden].
    private Tensor? batchInputs, batchGates, batchDGates;

    private FusedLstmTeacherStep(LstmTeacher model, ModelShape shape)
    {
        (days, features, hidden, layers, outputs) =
            (shape.InputDays, shape.Features, shape.TeacherHidden, shape.TeacherLayers, shape.OutputDays);
        var p = model.named_parameters().ToDictionary(x => x.name, x => (Tensor)x.parameter);
        lstm = Enumerable.Range(0, layers).Select(l => (p[$"lstm.weight_ih_l{l}"], p[$"lstm.weight_hh_l{l}"], p[$"lstm.bias_ih_l{l}"],
            p[$"lstm.bias_hh_l{l}"])).ToArray();
        lstmGrads = lstm.Select(x => (x.Wih.grad!, x.Whh.grad!, x.Bih.grad!, x.Bhh.grad!)).ToArray();
        wih0Transposed = lstm[0].Wih.t();
        dWih0 = lstmGrads[0].Wih;
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
        whhT = Buffers(layers, hidden * g4);
        wihT = Buffers(layers, hidden * g4);
        dWhhT = Buffers(layers, hidden * g4);
        dWihT = Buffers(layers, hidden * g4);
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
        BeginStep();
        Forward(x, projected: default);
        var loss = head.MseLoss(y);
        Backward(x, dGates0: default);
        EndStep();
        return loss;
    }

    /// <summary>One optimizer step's forward, loss and backward over the windows <paramref name="batch"/> of
    /// <paramref name="inputs"/> (windows × days × features) and <paramref name="targets"/> (windows × outputs). Returns
    /// the sum of the windows' MSEs; the gradients are those of their mean (libtorch's MSE over the batch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float StepBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> batch)
    {
        var (n, width, g4) = (batch.Length, days * features, 4 * hidden);
        EnsureBatch(n);
        // Every handle this step takes (views, the in-place products' results) is released with it.
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var x = batchInputs!.narrow(0, 0, n * days);
        using var projected = batchGates!.narrow(0, 0, n * days);
        using var dProjected = batchDGates!.narrow(0, 0, n * days);
        Span<float> xs = Floats(x);
        for (var b = 0; b < n; b++) inputs.Slice(batch[b] * width, width).CopyTo(xs.Slice(b * width, width));
        using (TorchSharp.torch.no_grad()) projected.addmm_(x, wih0Transposed, beta: 0);

        ReadOnlySpan<float> gx = Floats(projected);
        Span<float> dgx = Floats(dProjected);
        BeginStep();
        var sum = 0f;
        for (var b = 0; b < n; b++)
        {
            ReadOnlySpan<float> window = xs.Slice(b * width, width);
            Forward(window, gx.Slice(b * days * g4, days * g4));
            sum += head.MseLoss(targets.Slice(batch[b] * outputs, outputs), 1f / n);
            Backward(window, dgx.Slice(b * days * g4, days * g4));
        }
        EndStep();
        using (TorchSharp.torch.no_grad()) dWih0.addmm_(dProjected.t(), x);
        return sum;
    }

    private void EnsureBatch(int n)
    {
        if (batchInputs is not null && batchInputs.shape[0] >= n * days) return;
        batchInputs?.Dispose();
        batchGates?.Dispose();
        batchDGates?.Dispose();
        batchInputs = TorchSharp.torch.zeros(n * days, features);
        batchGates = TorchSharp.torch.zeros(n * days, 4 * hidden);
        batchDGates = TorchSharp.torch.zeros(n * days, 4 * hidden);
    }

    /// <summary>The small weights transposed for this step (hidden × 4·hidden: W_hh of every layer, W_ih of the layers
    /// above the first), and their transposed gradients cleared. A matrix-vector product with them is a few long
    /// vector operations (hidden of length 4·hidden) instead of many short ones (4·hidden of length hidden).</summary>
    private void BeginStep()
    {
        var g4 = 4 * hidden;
        for (var l = 0; l < layers; l++)
        {
            Transpose(Floats(lstm[l].Whh), g4, hidden, whhT[l]);
            Array.Clear(dWhhT[l]);
            if (l == 0) continue;
            Transpose(Floats(lstm[l].Wih), g4, hidden, wihT[l]);
            Array.Clear(dWihT[l]);
        }
    }

    /// <summary>Adds the step's transposed gradients into the parameters' gradient storage.</summary>
    private void EndStep()
    {
        var g4 = 4 * hidden;
        for (var l = 0; l < layers; l++)
        {
            AddTransposed(dWhhT[l], hidden, g4, Floats(lstmGrads[l].Whh));
            if (l > 0) AddTransposed(dWihT[l], hidden, g4, Floats(lstmGrads[l].Wih));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(ReadOnlySpan<float> source, int rows, int columns, float[] target)
    {
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) target[c * rows + r] = source[r * columns + c];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AddTransposed(float[] source, int rows, int columns, Span<float> target)
    {
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++) target[c * rows + r] += source[r * columns + c];
    }

    /// <param name="projected">The first layer's W_ih · x_t for every day (a mini-batch's GEMM computed them), or
    /// empty to compute them here.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> projected)
    {
        var g4 = 4 * hidden;
        for (var l = 0; l < layers; l++)
        {
            var (wihTensor, _, bihTensor, bhhTensor) = lstm[l];
            ReadOnlySpan<float> bih = Floats(bihTensor), bhh = Floats(bhhTensor);
            var gl = gates[l];
            // Input contributions of every day at once: gates[t] = W_ih · x_t + b_ih + b_hh.
            if (l == 0)
            {
                ReadOnlySpan<float> wih = Floats(wihTensor);
                for (var r = 0; r < g4; r++)
                {
                    var row = wih.Slice(r * features, features);
                    var bias = bih[r] + bhh[r];
                    for (var t = 0; t < days; t++)
                        gl[t * g4 + r] = (projected.IsEmpty ? Dot(row, x.Slice(t * features, features)) : projected[t * g4 + r]) + bias;
                }
            }
            else
            {
                var below = output[l - 1];
                var wT = wihT[l];
                for (var t = 0; t < days; t++)
                {
                    var gt = gl.AsSpan(t * g4, g4);
                    for (var r = 0; r < g4; r++) gt[r] = bih[r] + bhh[r];
                    for (var j = 0; j < hidden; j++) Axpy(below[t * hidden + j], wT.AsSpan(j * g4, g4), gt);
                }
            }
            var c = cell[l];
            var tc = tanhCell[l];
            var h = output[l];
            var recurrentT = whhT[l];
            for (var t = 0; t < days; t++)
            {
                var gt = gl.AsSpan(t * g4, g4);
                if (t > 0)
                    for (var j = 0; j < hidden; j++) Axpy(h[(t - 1) * hidden + j], recurrentT.AsSpan(j * g4, g4), gt);
                // The gates' nonlinearities, vectorised: σ on the input and forget gates (side by side), tanh on the
                // candidate, σ on the output gate; then the cell and its tanh.
                TensorPrimitives.Sigmoid(gt[..(2 * hidden)], gt[..(2 * hidden)]);
                TensorPrimitives.Tanh(gt.Slice(2 * hidden, hidden), gt.Slice(2 * hidden, hidden));
                TensorPrimitives.Sigmoid(gt.Slice(3 * hidden, hidden), gt.Slice(3 * hidden, hidden));
                var ct = c.AsSpan(t * hidden, hidden);
                for (var j = 0; j < hidden; j++)
                {
                    var cPrev = t > 0 ? c[(t - 1) * hidden + j] : 0f;
                    ct[j] = gt[hidden + j] * cPrev + gt[j] * gt[2 * hidden + j];
                }
                var tct = tc.AsSpan(t * hidden, hidden);
                TensorPrimitives.Tanh(ct, tct);
                TensorPrimitives.Multiply(gt.Slice(3 * hidden, hidden), tct, h.AsSpan(t * hidden, hidden));
            }
        }
        output[layers - 1].CopyTo(flat, 0);
        head.Forward(flat);
    }

    /// <param name="dGates0">Where the first layer's gate gradients go for a mini-batch's GEMM (its W_ih gradient is
    /// left to it), or empty to add that gradient here.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Backward(ReadOnlySpan<float> x, Span<float> dGates0)
    {
        head.Backward(flat, dOutput);

        var g4 = 4 * hidden;
        for (var l = layers - 1; l >= 0; l--)
        {
            var (dwihTensor, _, dbihTensor, dbhhTensor) = lstmGrads[l];
            Span<float> dBih = Floats(dbihTensor), dBhh = Floats(dbhhTensor);
            var (gl, c, tc, h) = (gates[l], cell[l], tanhCell[l], output[l]);
            var (recurrentT, dRecurrentT) = (whhT[l], dWhhT[l]);
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
                if (t == 0) break;
                // dh of day t − 1 through the recurrence (W_hhᵀ · dgates) and W_hh's gradient (dgates ⊗ h of day t − 1).
                for (var j = 0; j < hidden; j++)
                {
                    dhRec[j] = Dot(recurrentT.AsSpan(j * g4, g4), dg);
                    Axpy(h[(t - 1) * hidden + j], dg, dRecurrentT.AsSpan(j * g4, g4));
                }
            }
            // Bias gradients: the gates' gradients summed over the days.
            for (var t = 0; t < days; t++)
            {
                var dg = dGates.AsSpan(t * g4, g4);
                for (var r = 0; r < g4; r++)
                {
                    dBih[r] += dg[r];
                    dBhh[r] += dg[r];
                }
            }
            if (l == 0)
            {
                // The first layer's input weights: a mini-batch's GEMM takes the gate gradients, else dgates ⊗ x here.
                if (!dGates0.IsEmpty)
                {
                    dGates.AsSpan(0, days * g4).CopyTo(dGates0);
                    break;
                }
                Span<float> dWih = Floats(dwihTensor);
                for (var r = 0; r < g4; r++)
                {
                    var row = dWih.Slice(r * features, features);
                    for (var t = 0; t < days; t++) Axpy(dGates[t * g4 + r], x.Slice(t * features, features), row);
                }
                break;
            }
            // W_ih's gradient (dgates ⊗ the layer below's output) and the layer below's output gradient (W_ihᵀ · dgates).
            var (inputT, dInputT, below) = (wihT[l], dWihT[l], output[l - 1]);
            for (var t = 0; t < days; t++)
            {
                var dg = dGates.AsSpan(t * g4, g4);
                for (var j = 0; j < hidden; j++)
                {
                    Axpy(below[t * hidden + j], dg, dInputT.AsSpan(j * g4, g4));
                    dInput[t * hidden + j] = Dot(inputT.AsSpan(j * g4, g4), dg);
                }
            }
            dInput.CopyTo(dOutput, 0);
        }
    }

    public void Dispose()
    {
        batchInputs?.Dispose();
        batchGates?.Dispose();
        batchDGates?.Dispose();
        wih0Transposed.Dispose();
        head.Dispose();
        foreach (var (a, b, c, d) in lstmGrads)
            foreach (var t in new[] { a, b, c, d }) t.Dispose();
    }
}
