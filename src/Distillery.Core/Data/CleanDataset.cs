namespace Distillery.Data;

/// <summary>The study's cleaned table: feature columns min-max scaled to [0,1], one row per date (sorted).
/// Built by <see cref="StudyCleaning.Clean"/>; <see cref="Scaler"/> scales new rows the same way.</summary>
public sealed class CleanDataset
{
    public CleanDataset(string source, string target, IReadOnlyList<string> features, IReadOnlyList<DateOnly> dates,
                        MinMaxScaler scaler, double[][] scaled, TargetTransform targetTransform = TargetTransform.None)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(scaler);
        if (scaler.Min.Length != features.Count) throw new ArgumentException("the scaler needs one column per feature");
        if (scaled.Length != dates.Count) throw new ArgumentException("scaled needs one row per date");
        var targetIndex = -1;
        for (var i = 0; i < features.Count; i++)
            if (features[i] == target) { targetIndex = i; break; }
        if (targetIndex < 0) throw new ArgumentException($"target '{target}' is not a feature");
        Source = source;
        Target = target;
        Features = features;
        Dates = dates;
        Scaler = scaler;
        Scaled = scaled;
        TargetIndex = targetIndex;
        TargetTransform = targetTransform;
    }

    /// <summary>Applied to the target's raw values before scaling (<see cref="Min"/> and <see cref="Max"/> of the target
    /// are of the transformed values).</summary>
    public TargetTransform TargetTransform { get; }

    public string Source { get; }
    public string Target { get; }
    /// <summary>Feature column names in file order (the target is one of them).</summary>
    public IReadOnlyList<string> Features { get; }
    /// <summary>Date of each row, ascending.</summary>
    public IReadOnlyList<DateOnly> Dates { get; }
    /// <summary>The scaling fit on the raw rows (after empty → 0).</summary>
    public MinMaxScaler Scaler { get; }
    /// <summary>Per-feature minimum in raw units (after empty → 0).</summary>
    public double[] Min => Scaler.Min;
    /// <summary>Per-feature maximum in raw units (after empty → 0).</summary>
    public double[] Max => Scaler.Max;
    /// <summary>rows × features, scaled to [0,1].</summary>
    public double[][] Scaled { get; }
    public int TargetIndex { get; }
    public int Rows => Scaled.Length;

    /// <summary>The same dataset with only <paramref name="columns"/> (names of its features, the target among them).</summary>
    public CleanDataset Select(IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        var position = Features.Select((f, j) => (f, j)).ToDictionary(p => p.f, p => p.j, StringComparer.Ordinal);
        var index = columns.Select(c => position.TryGetValue(c, out var j) ? j : throw new ArgumentException($"'{c}' is not a feature")).ToArray();
        if (index.SequenceEqual(Enumerable.Range(0, Features.Count))) return this;
        var scaler = new MinMaxScaler(index.Select(j => Min[j]).ToArray(), index.Select(j => Max[j]).ToArray());
        var scaled = Scaled.Select(row => index.Select(j => row[j]).ToArray()).ToArray();
        return new CleanDataset(Source, Target, columns.ToArray(), Dates, scaler, scaled, TargetTransform);
    }

    /// <summary>Scales the rows of <paramref name="table"/> (columns matched by name) with the stored min/max.</summary>
    public double[][] ApplyScaling(RawTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var index = new int[Features.Count];
        var missing = new List<string>();
        for (var j = 0; j < index.Length; j++)
            if ((index[j] = table.ColumnIndex(Features[j])) < 0) missing.Add(Features[j]);
        if (missing.Count > 0) throw MissingColumns(missing);
        var result = new double[table.Rows.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            var v = new double[index.Length];
            for (var j = 0; j < v.Length; j++)
            {
                var raw = ParseRaw(table.Rows[i][index[j]], Features[j], table.DescribeRow(i));
                v[j] = Scaler.Transform(j, j == TargetIndex ? TargetTransform.ForwardChecked(raw, Features[j], table.DescribeRow(i)) : raw);
            }
            result[i] = v;
        }
        return result;
    }

    private static InvalidInputException MissingColumns(IReadOnlyCollection<string> missing) =>
        new($"missing {missing.Count} feature column(s): {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}");

    private static double ParseRaw(string cell, string column, string where)
    {
        if (!NumericCell.TryParse(cell, out var x))
            throw new InvalidInputException($"column '{column}', {where}: value '{cell}' is not a number");
        if (!double.IsFinite(x))
            throw new InvalidInputException($"column '{column}', {where}: value '{cell}' is not a finite number");
        return x;
    }
}
