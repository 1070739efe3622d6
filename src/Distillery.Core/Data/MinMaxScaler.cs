namespace Distillery.Data;

/// <summary>
/// Per-column min-max scaling to [0, 1] as the study's sklearn <c>MinMaxScaler</c> (feature range (0, 1), no clipping):
/// transform x·scale + offset, with scale = 1/(max − min) and offset = −min·scale. A constant column (max = min) gets
/// scale 1 (sklearn's <c>_handle_zeros_in_scale</c>), so its values become x − min. The inverse is the one the report
/// and the metrics use, min + s·(max − min): a constant column maps every s back to min. (The cleaning never keeps a
/// constant target: it drops columns with fewer than 3 distinct values.)
/// </summary>
public sealed class MinMaxScaler
{
    public MinMaxScaler(double[] min, double[] max)
    {
        ArgumentNullException.ThrowIfNull(min);
        ArgumentNullException.ThrowIfNull(max);
        if (min.Length != max.Length) throw new ArgumentException("min and max need one value per column");
        Min = min;
        Max = max;
        Scale = new double[min.Length];
        Offset = new double[min.Length];
        for (var j = 0; j < min.Length; j++)
        {
            var range = max[j] - min[j];
            Scale[j] = 1.0 / (range == 0 ? 1.0 : range); // sklearn's _handle_zeros_in_scale
            Offset[j] = 0.0 - min[j] * Scale[j];           // sklearn: min_ = feature_range[0] - data_min * scale_
        }
    }

    /// <summary>Per-column minimum in raw units.</summary>
    public double[] Min { get; }
    /// <summary>Per-column maximum in raw units.</summary>
    public double[] Max { get; }
    /// <summary>Per-column multiplier, as sklearn's <c>scale_</c> (1/(max − min), 1 when max = min).</summary>
    public double[] Scale { get; }
    /// <summary>Per-column offset, as sklearn's <c>min_</c> (−min·scale).</summary>
    public double[] Offset { get; }

    /// <summary>The min and max of each of <paramref name="columns"/> columns over <paramref name="rows"/>.</summary>
    public static MinMaxScaler Fit(double[][] rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var min = new double[columns];
        var max = new double[columns];
        for (var j = 0; j < columns; j++)
        {
            double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
            for (var r = 0; r < rows.Length; r++) { lo = Math.Min(lo, rows[r][j]); hi = Math.Max(hi, rows[r][j]); }
            min[j] = lo;
            max[j] = hi;
        }
        return new MinMaxScaler(min, max);
    }

    /// <summary>Scales one raw value of column <paramref name="column"/> (sklearn's transform).</summary>
    public double Transform(int column, double raw) => raw * Scale[column] + Offset[column];

    /// <summary>Scales every value of <paramref name="rows"/> in place.</summary>
    public void TransformInPlace(double[][] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        foreach (var row in rows)
            for (var j = 0; j < row.Length; j++)
                row[j] = Transform(j, row[j]);
    }

    /// <summary>The raw value of column <paramref name="column"/> from its scaled value.</summary>
    public double Inverse(int column, double scaled) => Inverse(Min[column], Max[column], scaled);

    /// <summary>The raw value from a scaled one, for a column of minimum <paramref name="min"/> and maximum
    /// <paramref name="max"/>: min + s·(max − min).</summary>
    public static double Inverse(double min, double max, double scaled) => min + scaled * (max - min);
}
