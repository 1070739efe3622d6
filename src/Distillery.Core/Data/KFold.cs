namespace Distillery.Data;

/// <summary>scikit-learn's <c>KFold(n_splits=k, shuffle=True, random_state=rs)</c>, index for index.</summary>
public static class KFold
{
    /// <summary>Test folds of <c>KFold(k, shuffle=True, random_state)</c>.split(range(n)): indices 0..n−1 shuffled by
    /// numpy <c>RandomState(randomState).shuffle</c>, cut into k consecutive folds (the first n % k folds one longer),
    /// each fold sorted ascending.</summary>
    public static int[][] TestFolds(int n, int k, int randomState)
    {
        if (k < 2 || k > n)
            throw new InvalidInputException($"folds must be between 2 and the number of windows ({n}), got {k}");
        var indices = new int[n];
        for (var i = 0; i < n; i++) indices[i] = i;
        new NumpyRandomState(randomState).Shuffle(indices);
        var folds = new int[k][];
        var start = 0;
        for (var f = 0; f < k; f++)
        {
            var size = n / k + (f < n % k ? 1 : 0);
            folds[f] = indices[start..(start + size)];
            Array.Sort(folds[f]);
            start += size;
        }
        return folds;
    }

    /// <summary>The complement of <paramref name="testFold"/> in 0..n−1, ascending.</summary>
    public static int[] TrainIndices(int n, int[] testFold)
    {
        ArgumentNullException.ThrowIfNull(testFold);
        var inTest = new bool[n];
        foreach (var i in testFold)
        {
            if ((uint)i >= (uint)n) throw new ArgumentOutOfRangeException(nameof(testFold), i, $"index outside 0..{n - 1}");
            inTest[i] = true;
        }
        var train = new List<int>(n);
        for (var i = 0; i < n; i++) if (!inTest[i]) train.Add(i);
        return train.ToArray();
    }
}
