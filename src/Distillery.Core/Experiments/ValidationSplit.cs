namespace Distillery.Experiments;

/// <summary>
/// The early-stopping validation block of one fold, taken from its training windows only (never its test windows):
/// the latest fraction of them by window index (rounded, at least one) (windows are in date order), and, as in
/// <see cref="BlockedFolds"/>, every training window within inputDays + outputDays − 1 windows of the block is dropped,
/// so no day is in both a window trained on and a validation window. The same rule under the study's shuffled folds:
/// its training windows are scattered among test windows, and the block is still their latest share.
/// </summary>
public static class ValidationSplit
{
    /// <summary>The windows trained on (in the fold's order) and the validation windows (ascending).</summary>
    public static (int[] Train, int[] Validation) Split(FoldSplit fold, double fraction, int inputDays, int outputDays)
    {
        if (!(fraction is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "must be in (0, 1)");
        var span = inputDays + outputDays;
        var sorted = fold.TrainIndices.Order().ToArray();
        var size = Math.Max(1, (int)Math.Round(fraction * sorted.Length, MidpointRounding.AwayFromZero));
        var validation = sorted[^Math.Min(size, sorted.Length)..];
        // Every training window after the block's first is in the block, so the gap only bites before it.
        var firstValidation = validation[0];
        var train = fold.TrainIndices.Where(w => w <= firstValidation - span).ToArray();
        if (train.Length == 0 || size >= sorted.Length)
            throw new InvalidInputException(
                $"too few training windows ({sorted.Length}) in fold {fold.Fold} for a validation block of {size} and a gap of {span - 1} windows: none is left to train on");
        return (train, validation);
    }
}
