using static TorchSharp.torch;

namespace Distillery.Experiments;

/// <summary>Windows of a dataset as float32 tensors: inputs [windows, inputDays, features], targets [windows, outputDays].
/// Window w is rows w … w + inputDays − 1 of the scaled matrix (rows × features, row-major) as input and the target at
/// the outputDays rows after them, each shifted by its <see cref="WindowNormalization"/> (in float64, before the cast to
/// float32). Training, the report and serving all build their model inputs here.</summary>
public sealed class WindowTensors : IDisposable
{
    /// <summary>Every window of the dataset.</summary>
    public WindowTensors(DatasetArtifact meta, double[] matrix, WindowNormalization normalization)
    {
        int f = meta.Features.Count, n = meta.Windows, inDays = meta.InputDays, outDays = meta.OutputDays;
        Inputs = InputsOf(meta, matrix, Enumerable.Range(0, n).ToArray(), normalization);
        var y = new float[n * outDays];
        for (var w = 0; w < n; w++)
        {
            var shift = normalization.Shift(meta, matrix, w, meta.TargetIndex);
            for (var d = 0; d < outDays; d++)
                y[w * outDays + d] = (float)(matrix[(w + inDays + d) * f + meta.TargetIndex] - shift);
        }
        Targets = tensor(y, [n, outDays]);
    }

    public Tensor Inputs { get; }
    /// <summary>The targets in the normalised space (what the networks output).</summary>
    public Tensor Targets { get; }

    /// <summary>The inputs [windows, inputDays, features] of the chosen windows of <paramref name="matrix"/>.</summary>
    public static Tensor InputsOf(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows, WindowNormalization normalization)
    {
        int f = meta.Features.Count, inDays = meta.InputDays;
        var x = new float[windows.Count * inDays * f];
        var shift = new double[f];
        for (var i = 0; i < windows.Count; i++)
        {
            for (var c = 0; c < f; c++) shift[c] = normalization.Shift(meta, matrix, windows[i], c);
            // x − 0 is x to the bit, so no normalisation gives the inputs it always did.
            for (var d = 0; d < inDays; d++)
                for (var c = 0; c < f; c++)
                    x[(i * inDays + d) * f + c] = (float)(matrix[(windows[i] + d) * f + c] - shift[c]);
        }
        return tensor(x, [windows.Count, inDays, f]);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}
