using static TorchSharp.torch;

namespace Distillery.Training;

/// <summary>
/// The windows of one fold as tensors, built once and indexed by every step.
/// Inputs [windows, inputDays, features]; targets [windows, outputDays] are what the model is trained towards
/// (truth, or the teacher's outputs); truth is the true target, for the distilled student's loss against it.
/// </summary>
public sealed class FoldTensors(Tensor inputs, Tensor targets, Tensor truth, int[] train, int[] test,
    int[]? validation = null)
{
    public Tensor Inputs { get; } = inputs;
    public Tensor Targets { get; } = targets;
    public Tensor Truth { get; } = truth;
    public int[] TrainWindows { get; } = train;
    public int[] TestWindows { get; } = test;
    /// <summary>Held-out training windows for early stopping (scored against <see cref="Targets"/>); null without it.</summary>
    public int[]? ValidationWindows { get; } = validation;
}
