namespace Distillery.Training;

/// <summary>How one model is trained. Defaults are the study's (Adam, MSE, batch 1, epochs + 1 passes).</summary>
public sealed record TrainingOptions(int Epochs, double LearningRate, int BatchSize, long Seed)
{
    /// <summary>The study loops <c>range(epochs + 1)</c>.</summary>
    public int Passes => Epochs + 1;

    /// <summary>False runs each Adam step as libtorch's kernels instead of the fused kernel: the same numbers (tests
    /// compare the two).</summary>
    public bool FusedAdam { get; init; } = true;

    /// <summary>With <see cref="FoldTensors.ValidationWindows"/>: stop after this many passes without a lower
    /// validation loss and restore the best pass's weights. Null: every pass, the last pass's weights.</summary>
    public int? EarlyStoppingPatience { get; init; }
}
