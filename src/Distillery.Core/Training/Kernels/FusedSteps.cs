using Distillery.Models;
using static TorchSharp.torch;

namespace Distillery.Training.Kernels;

/// <summary>One batch-1 training step (forward, MSE loss, backward) computed without libtorch: the gradients land in
/// the parameters' own gradient storage, ready for the optimizer.</summary>
public interface IFusedStep : IDisposable
{
    /// <summary>The window's MSE (mean over outputs) for inputs <paramref name="x"/> (days × features, row-major) and
    /// targets <paramref name="y"/>; afterwards every parameter's gradient is that loss's.</summary>
    float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y);
}

/// <summary>One mini-batch training step computed outside autograd (see <see cref="FusedLstmTeacherStep.StepBatch"/>).</summary>
public interface IFusedBatchStep : IDisposable
{
    /// <summary>Forward, loss and backward over the windows <paramref name="batch"/> of <paramref name="inputs"/> and
    /// <paramref name="targets"/> (all windows, row-major); returns the sum of the windows' MSEs, and every parameter's
    /// gradient is that of their mean.</summary>
    float StepBatch(ReadOnlySpan<float> inputs, ReadOnlySpan<float> targets, ReadOnlySpan<int> batch);
}

/// <summary>
/// The fused steps of the two architectures. At batch 1 libtorch spends most of a step on per-call overhead (kernel
/// dispatch, oneDNN's RNN set-up, autograd bookkeeping, allocation; bench/README.md) around little arithmetic; these
/// do the same arithmetic in vectorised loops over buffers allocated once. The formulas are libtorch's; the order of
/// the sums is not, so numbers agree with libtorch's to float rounding, not to the last bit (tests compare them).
/// Their hot methods are compiled fully optimised at once (<c>AggressiveOptimization</c>): a training job is over in a
/// second or two, and tiered compilation would run its first passes on unoptimised code (measured: the fast preset's
/// teacher jobs took 9 s instead of 5.5 s).
/// </summary>
public static class FusedSteps
{
    /// <summary>The fused step of <paramref name="model"/>, or null when it is not one this computes (a CPU float32
    /// teacher or student, every parameter contiguous and with gradient storage, as the optimizer gives it).</summary>
    public static IFusedStep? For(nn.Module<Tensor, Tensor> model) => Usable(model) ? model switch
    {
        LstmTeacher teacher => FusedLstmTeacherStep.For(teacher),
        FeedForwardStudent student => FusedStudentStep.For(student),
        _ => null,
    } : null;

    /// <summary>The fused mini-batch step of <paramref name="model"/>, or null. The teacher has one: libtorch's LSTM
    /// spends most of a small batch's step on per-time-step calls. The student has none: its step is three matrix
    /// products over the batch, which libtorch's GEMMs already do at full speed.</summary>
    public static IFusedBatchStep? ForBatches(nn.Module<Tensor, Tensor> model) =>
        Usable(model) && model is LstmTeacher teacher ? FusedLstmTeacherStep.For(teacher) : null;

    private static bool Usable(nn.Module<Tensor, Tensor> model)
    {
        var ps = model.parameters().ToArray();
        if (ps.Length == 0) return false;
        foreach (var p in ps)
        {
            using var grad = p.grad;
            if (p.dtype != ScalarType.Float32 || p.device.type != TorchSharp.DeviceType.CPU || !p.is_contiguous() || grad is null
                || !grad.is_contiguous())
                return false;
        }
        return true;
    }
}

/// <summary>The student's (and FNN's) step: its layers as a <see cref="FusedMlp"/>; the input needs no gradient.</summary>
internal sealed class FusedStudentStep(FusedMlp mlp) : IFusedStep
{
    public static FusedStudentStep? For(FeedForwardStudent student)
    {
        var named = student.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var weights = named.Keys.Where(k => k.EndsWith(".weight", StringComparison.Ordinal))
            .OrderBy(k => int.Parse(k.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        if (weights.Length == 0 || weights.Length * 2 != named.Count) return null;
        var layers = weights.Select(w => (named[w], named[w[..^".weight".Length] + ".bias"])).ToArray();
        return new FusedStudentStep(new FusedMlp(layers, !student.Shape.LinearHead));
    }

    public void Dispose() => mlp.Dispose();

    public float Step(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        mlp.Forward(x);
        var loss = mlp.MseLoss(y);
        mlp.Backward(x, Span<float>.Empty);
        return loss;
    }
}
