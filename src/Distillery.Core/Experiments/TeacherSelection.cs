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

