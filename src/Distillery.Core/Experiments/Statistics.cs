namespace Distillery.Experiments;

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
