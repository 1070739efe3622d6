using static TorchSharp.torch;

namespace Distillery.Experiments;

/// <summary>Windows of a dataset as float32 tensors: inputs [windows, inputDays, features], targets [windows, outputDays].
/// Window w is rows w … w + inputDays − 1 of the scaled matrix (rows × features, row-major) as input and the target at
/// the outputDays rows after them. Training, the report and serving all build their model inputs here.</summary>
public sealed class WindowTensors : IDisposable
{
    /// <summary>Every window of the dataset.</summary>
    public WindowTensors(DatasetArtifact meta, double[] matrix)
    {
        int f = meta.Features.Count, n = meta.Windows, inDays = meta.InputDays, outDays = meta.OutputDays;
        Inputs = InputsOf(meta, matrix, Enumerable.Range(0, n).ToArray());
        var y = new float[n * outDays];
        for (var w = 0; w < n; w++)
            for (var d = 0; d < outDays; d++)
                y[w * outDays + d] = (float)matrix[(w + inDays + d) * f + meta.TargetIndex];
        Targets = tensor(y, [n, outDays]);
    }

    public Tensor Inputs { get; }
    public Tensor Targets { get; }

    /// <summary>The inputs [windows, inputDays, features] of the chosen windows of <paramref name="matrix"/>.</summary>
    public static Tensor InputsOf(DatasetArtifact meta, double[] matrix, IReadOnlyList<int> windows)
    {
        int f = meta.Features.Count, inDays = meta.InputDays;
        var x = new float[windows.Count * inDays * f];
        for (var i = 0; i < windows.Count; i++)
            for (var d = 0; d < inDays; d++)
                for (var c = 0; c < f; c++)
                    x[(i * inDays + d) * f + c] = (float)matrix[(windows[i] + d) * f + c];
        return tensor(x, [windows.Count, inDays, f]);
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}
