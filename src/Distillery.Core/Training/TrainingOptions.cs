namespace Distillery.Training;

/// <summary>How one model is trained. Defaults are the study's (Adam, MSE, batch 1, epochs + 1 passes).</summary>
public sealed record TrainingOptions(int Epochs, double LearningRate, int BatchSize, long Seed)
{
    /// <summary>The study loops <c>range(epochs + 1)</c>.</summary>
    public int Passes => Epochs + 1;

    /// <summary>How each Adam step runs (<see cref="Optim.AdamKernel"/>): by default one fused pass with an IEEE square
    /// root; <see cref="Optim.AdamKernel.FusedExact"/> and <see cref="Optim.AdamKernel.Libtorch"/> give libtorch's
    /// numbers to the last bit (tests compare the two).</summary>
    public Optim.AdamKernel Adam { get; init; } = Optim.AdamKernel.FusedIeee;

    /// <summary>Batch 1: train with <see cref="Kernels.FusedSteps"/> (forward and backward in vectorised loops, no
    /// autograd) instead of libtorch's. Close to libtorch's numbers, not equal to the last bit.</summary>
    public bool FusedSteps { get; init; } = true;

    /// <summary>With <see cref="FoldTensors.ValidationWindows"/>: stop after this many passes without a lower
    /// validation loss and restore the best pass's weights. Null: every pass, the last pass's weights.</summary>
    public int? EarlyStoppingPatience { get; init; }
}
