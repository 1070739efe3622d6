using System.Globalization;

namespace Distillery.Data;

/// <summary>
/// Which cleaned columns a run feeds the networks. <see cref="All"/> (the study's: every column the cleaning keeps);
/// <see cref="Named"/> (the target and the listed columns; a listed column the file lacks, or the cleaning drops, is left
/// out and recorded); <see cref="TopK"/> (the target and the k columns most correlated with it, |Pearson r| over the
/// rows the selection is fit on: under the leakage-free protocol a fold's training rows only). The target is always kept.
/// Written <c>all</c>, <c>top:K</c> or as a comma-separated list of column names.
/// </summary>
public abstract record FeatureSelection
{
    private FeatureSelection() { }

    public sealed record All : FeatureSelection;

    public sealed record Named(IReadOnlyList<string> Columns) : FeatureSelection
    {
        public override string ToString() => string.Join(",", Columns);
    }

    public sealed record TopK(int K) : FeatureSelection
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TopPrefix}{K}");
    }

    public const string TopPrefix = "top:", AllName = "all";
    public const int MaxColumns = 4096;

    /// <summary>The selection written as <paramref name="text"/>; null, blank or <c>all</c> is <see cref="All"/>. Throws
    /// <see cref="InvalidInputException"/> naming the problem.</summary>
    public static FeatureSelection Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Trim() == AllName) return new All();
        var trimmed = text.Trim();
        if (trimmed.StartsWith(TopPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var k = trimmed[TopPrefix.Length..];
            return int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= MaxColumns
                ? new TopK(n)
                : throw new InvalidInputException($"features '{trimmed}': after '{TopPrefix}' give a column count between 0 and {MaxColumns}");
        }
        var names = trimmed.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0))
            throw new InvalidInputException($"features '{trimmed}': an empty column name (a stray comma?)");
        if (names.Length > MaxColumns) throw new InvalidInputException($"features: at most {MaxColumns} columns, got {names.Length}");
        var duplicate = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidInputException($"features: column '{duplicate.Key}' is listed twice");
        return new Named(names);
    }

    /// <summary><paramref name="data"/> keeping only the selected columns (in file order, the target among them), and the
    /// listed columns that were not there to keep.</summary>
    public (CleanDataset Data, IReadOnlyList<string> LeftOut) Apply(CleanDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        switch (this)
        {
            case All:
                return (data, []);
            case Named named:
                var wanted = named.Columns.Append(data.Target).ToHashSet(StringComparer.Ordinal);
                var present = data.Features.ToHashSet(StringComparer.Ordinal);
                return (data.Select(data.Features.Where(wanted.Contains).ToArray()),
                    named.Columns.Where(c => !present.Contains(c)).ToArray());
            case TopK top:
                var ranked = Ranked(data).Take(top.K).ToHashSet(StringComparer.Ordinal);
                return (data.Select(data.Features.Where(f => f == data.Target || ranked.Contains(f)).ToArray()), []);
            default:
                throw new InvalidOperationException($"unknown feature selection {GetType().Name}");
        }
    }

    /// <summary>The columns other than the target, most correlated with it first (|r| over the dataset's rows; a column
    /// with no variation there has r = 0); ties keep file order.</summary>
    public static IReadOnlyList<string> Ranked(CleanDataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var target = Column(data, data.TargetIndex);
        return Enumerable.Range(0, data.Features.Count)
            .Where(j => j != data.TargetIndex)
            .Select(j => (Name: data.Features[j], R: Math.Abs(Correlation(Column(data, j), target))))
            .OrderByDescending(c => c.R) // stable: ties keep file order
            .Select(c => c.Name)
            .ToArray();
    }

    private static double[] Column(CleanDataset data, int j) => data.Scaled.Select(row => row[j]).ToArray();

    private static double Correlation(double[] x, double[] y)
    {
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            var (dx, dy) = (x[i] - mx, y[i] - my);
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        return sxx == 0 || syy == 0 ? 0 : sxy / Math.Sqrt(sxx * syy);
    }
}
