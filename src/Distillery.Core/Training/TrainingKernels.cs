namespace Distillery.Training;

/// <summary>
/// Which arithmetic trains the networks. <see cref="Fused"/>: Distillery's own vectorised training steps and its
/// one-pass Adam (the default: several times faster; the same formulas, sums in another order, so the last bits
/// differ from libtorch's). <see cref="Libtorch"/>: libtorch's autograd and Adam, bit for bit the numbers of the
/// releases before the fused steps; slower, kept so the two can be compared on the same run.
/// </summary>
public enum TrainingKernels { Fused = 0, Libtorch = 1 }

public static class TrainingKernelNames
{
    public const string FusedName = "fused", LibtorchName = "libtorch";

    public static IReadOnlyList<string> Names { get; } = [FusedName, LibtorchName];

    /// <summary>The kernels named <paramref name="name"/>; null (not given) is <see cref="TrainingKernels.Fused"/>.</summary>
    public static TrainingKernels Parse(string? name) => name switch
    {
        null or FusedName => TrainingKernels.Fused,
        LibtorchName => TrainingKernels.Libtorch,
        _ => throw new InvalidInputException($"kernels must be one of {string.Join(", ", Names)}, got '{name}'"),
    };

    /// <summary>How a job of these kernels trains: the fused steps and Adam, or libtorch's autograd with Adam to
    /// libtorch's last bit.</summary>
    public static TrainingOptions Apply(this TrainingKernels kernels, TrainingOptions options) => kernels switch
    {
        TrainingKernels.Fused => options with { FusedSteps = true, Adam = Optim.AdamKernel.FusedIeee },
        TrainingKernels.Libtorch => options with { FusedSteps = false, Adam = Optim.AdamKernel.FusedExact },
    };
}
