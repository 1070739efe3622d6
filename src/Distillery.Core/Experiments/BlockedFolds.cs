namespace Distillery.Experiments;

/// <summary>
/// The leakage-free split: blocked K-fold with a gap. The windows are cut into k contiguous blocks in time (the first
/// n mod k one window longer, as KFold without shuffling); fold i tests on block i and trains on every window at least
/// inputDays + outputDays windows away from it, so no day is in both a training window and a test window.
/// Chosen over forward chaining because every fold keeps about (k − 1)/k of the data for training, as the study's
/// folds do, while forward chaining's first fold on US_FL would train on early-2020 rows where the target is constant.
/// </summary>
public static class BlockedFolds
{
    public static FoldSplit[] Split(int windows, int folds, int inputDays, int outputDays)
    {
        var span = inputDays + outputDays;
        if (folds < 2 || folds > windows)
            throw new InvalidInputException($"folds must be between 2 and the number of windows ({windows}), got {folds}");
        var result = new FoldSplit[folds];
        var start = 0;
        for (var i = 0; i < folds; i++)
        {
            var size = windows / folds + (i < windows % folds ? 1 : 0);
            var testEnd = start + size - 1;
            var train = Enumerable.Range(0, windows).Where(w => w <= start - span || w >= testEnd + span).ToArray();
            if (train.Length == 0)
                throw new InvalidInputException(
                    $"too few windows ({windows}) for {folds} leakage-free folds: fold {i + 1} has no training window outside its gap of {span - 1} windows");
            result[i] = new FoldSplit(i + 1, train, Enumerable.Range(start, size).ToArray());
            start += size;
        }
        return result;
    }

    /// <summary>Rows (0-based, date order) that a fold's test windows cover: its features and scaler must not see them.</summary>
    public static (int First, int Last) TestRows(FoldSplit fold, int inputDays, int outputDays) =>
        (fold.TestIndices[0], fold.TestIndices[^1] + inputDays + outputDays - 1);
}
