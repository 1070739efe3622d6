namespace Distillery.Experiments;

public static class TeacherSelection
{
    /// <summary>
    /// The study's rule: the teacher with the lowest (final train + final test) / 2, computed from the finals
    /// rounded to 2 decimals; a tie goes to the lower fold. Returns the 1-based fold.
    /// </summary>
    public static int Best(IEnumerable<(int Fold, double FinalTrain, double FinalTest)> teachers)
    {
        var best = teachers
            .Select(t => (t.Fold, Score: (Math.Round(t.FinalTrain, 2, MidpointRounding.ToEven) + Math.Round(t.FinalTest, 2, MidpointRounding.ToEven)) / 2))
            .OrderBy(t => t.Score).ThenBy(t => t.Fold)
            .ToList();
        if (best.Count == 0) throw new InvalidOperationException("no teacher to select from");
        return best[0].Fold;
    }
}

public static class Statistics
{
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Average();

    /// <summary>Standard error of the mean: sample standard deviation (n − 1) / √n.</summary>
    public static double Sem(IReadOnlyList<double> values)
    {
        if (values.Count < 2) return double.NaN;
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return Math.Sqrt(variance) / Math.Sqrt(values.Count);
    }
}
