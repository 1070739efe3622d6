using System.Globalization;

namespace Distillery.Data;

/// <summary>The study's cleaned table: feature columns min-max scaled to [0,1], one row per date (sorted).
/// Built by <see cref="StudyCleaning.Clean"/>; <see cref="Min"/>/<see cref="Max"/> allow scaling new rows the same way.</summary>
public sealed class CleanDataset
{
    public CleanDataset(string source, string target, IReadOnlyList<string> features, IReadOnlyList<DateOnly> dates,
                        double[] min, double[] max, double[][] scaled)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (min.Length != features.Count || max.Length != features.Count)
            throw new ArgumentException("min and max need one value per feature");
        if (scaled.Length != dates.Count) throw new ArgumentException("scaled needs one row per date");
        var targetIndex = -1;
        for (var i = 0; i < features.Count; i++)
            if (features[i] == target) { targetIndex = i; break; }
        if (targetIndex < 0) throw new ArgumentException($"target '{target}' is not a feature");
        Source = source;
        Target = target;
        Features = features;
        Dates = dates;
        Min = min;
        Max = max;
        Scaled = scaled;
        TargetIndex = targetIndex;
        Scale = new double[features.Count];
        Offset = new double[features.Count];
        for (var j = 0; j < features.Count; j++)
        {
            var range = max[j] - min[j];
            Scale[j] = 1.0 / (range == 0 ? 1.0 : range); // sklearn's _handle_zeros_in_scale
            Offset[j] = 0.0 - min[j] * Scale[j];           // sklearn: min_ = feature_range[0] - data_min * scale_
        }
    }

    public string Source { get; }
    public string Target { get; }
    /// <summary>Feature column names in file order (the target is one of them).</summary>
    public IReadOnlyList<string> Features { get; }
    /// <summary>Date of each row, ascending.</summary>
    public IReadOnlyList<DateOnly> Dates { get; }
    /// <summary>Per-feature minimum in raw units (after empty → 0).</summary>
    public double[] Min { get; }
    /// <summary>Per-feature maximum in raw units (after empty → 0).</summary>
    public double[] Max { get; }
    /// <summary>rows × features, scaled to [0,1].</summary>
    public double[][] Scaled { get; }
    /// <summary>Per-feature multiplier, as sklearn MinMaxScaler.scale_ (1/(max−min), 1 when max = min).</summary>
    public double[] Scale { get; }
    /// <summary>Per-feature offset, as sklearn MinMaxScaler.min_ (−min·scale).</summary>
    public double[] Offset { get; }
    public int TargetIndex { get; }
    public int Rows => Scaled.Length;
    public int FeatureCount => Features.Count;

    /// <summary>Scales one raw value of feature <paramref name="featureIndex"/> (sklearn transform: x·scale + min_).</summary>
    public double ScaleValue(int featureIndex, double raw) => raw * Scale[featureIndex] + Offset[featureIndex];

    /// <summary>Inverse min-max of feature <paramref name="featureIndex"/> (sklearn inverse_transform: (x − min_)/scale).</summary>
    public double Unscale(int featureIndex, double scaled) => (scaled - Offset[featureIndex]) / Scale[featureIndex];

    /// <summary>Scaled values of the target column, one per row.</summary>
    public double[] TargetColumn()
    {
        var t = new double[Rows];
        for (var i = 0; i < t.Length; i++) t[i] = Scaled[i][TargetIndex];
        return t;
    }

    /// <summary>Scales new raw rows (column name → cell text) with the stored min/max. Empty cell → 0. Extra columns are
    /// ignored. Throws <see cref="InvalidInputException"/> naming missing columns, or a non-numeric/non-finite cell.</summary>
    public double[][] ApplyScaling(IReadOnlyList<IReadOnlyDictionary<string, string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var f in Features)
                if (!row.ContainsKey(f)) missing.Add(f);
        if (missing.Count > 0) throw MissingColumns(missing);
        var result = new double[rows.Count][];
        for (var i = 0; i < rows.Count; i++)
        {
            var v = new double[Features.Count];
            for (var j = 0; j < v.Length; j++)
                v[j] = ScaleValue(j, ParseRaw(rows[i][Features[j]], Features[j], $"row {i + 1}"));
            result[i] = v;
        }
        return result;
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
                v[j] = ScaleValue(j, ParseRaw(table.Rows[i][index[j]], Features[j], table.DescribeRow(i)));
            result[i] = v;
        }
        return result;
    }

    private static InvalidInputException MissingColumns(IReadOnlyCollection<string> missing) =>
        new($"missing {missing.Count} feature column(s): {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", ..." : "")}");

    private static double ParseRaw(string cell, string column, string where)
    {
        if (cell.Length == 0) return 0.0;
        if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
            throw new InvalidInputException($"column '{column}', {where}: value '{cell}' is not a number");
        if (!double.IsFinite(x))
            throw new InvalidInputException($"column '{column}', {where}: value '{cell}' is not a finite number");
        return x;
    }
}
