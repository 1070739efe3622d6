using System.Globalization;

namespace Distillery.Data;

/// <summary>The original study's data cleaning, reproduced exactly.</summary>
public static class StudyCleaning
{
    public const string DateColumn = "date";
    public const string CumulativePrefix = "cumulative_";

    /// <summary>
    /// Cleans <paramref name="table"/> the way the study did:
    /// <list type="number">
    /// <item>the <c>date</c> column (yyyy-MM-dd) becomes the index, not a feature; rows are sorted by date (stable) if the
    /// file is not sorted; duplicate dates are an error; gaps between dates are allowed and kept as they are (the study
    /// did not re-index to a daily calendar, so a window may span a gap);</item>
    /// <item>every column with 1 or 2 distinct values is dropped (an empty cell counts as a value; numeric cells compare as
    /// doubles so "5" and "5.0" are one value, other cells compare as strings);</item>
    /// <item>columns whose name starts with <c>cumulative_</c> are dropped;</item>
    /// <item>empty cells become 0; every remaining column is min-max scaled to [0,1] like sklearn's MinMaxScaler.</item>
    /// </list>
    /// Bad input throws <see cref="InvalidInputException"/>: unknown or dropped target, bad or duplicate date, a surviving
    /// column with a non-numeric, NaN, infinite or overflowing cell.
    /// </summary>
    /// <param name="targetTransform">Applied to the target's values before the scaler is fit (not part of the study).</param>
    public static CleanDataset Clean(RawTable table, string target, TargetTransform targetTransform = TargetTransform.None)
    {
        ArgumentNullException.ThrowIfNull(table);
        var src = table.Source;
        var dateCol = table.ColumnIndex(DateColumn);
        if (dateCol < 0) throw new InvalidInputException($"{src}: no '{DateColumn}' column");
        if (string.IsNullOrEmpty(target)) throw new InvalidInputException($"{src}: no target column given");
        if (table.ColumnIndex(target) < 0) throw new InvalidInputException($"{src}: target column '{target}' not found");
        if (target == DateColumn) throw new InvalidInputException($"{src}: target column '{target}' is the date index, not a feature");
        if (target.StartsWith(CumulativePrefix, StringComparison.Ordinal))
            throw new InvalidInputException(
                $"{src}: target column '{target}' was dropped by the cleaning rule: columns starting with '{CumulativePrefix}' are cumulative and are not used");
        if (table.Rows.Count == 0) throw new InvalidInputException($"{src}: no data rows");

        // Dates: parse, reject duplicates, sort (stable).
        var n = table.Rows.Count;
        var dates = new DateOnly[n];
        var seen = new Dictionary<DateOnly, int>(n);
        for (var i = 0; i < n; i++)
        {
            var text = table.Rows[i][dateCol];
            if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out dates[i]))
                throw new InvalidInputException($"{src}: {table.DescribeRow(i)}: date '{text}' is not a yyyy-MM-dd date");
            if (!seen.TryAdd(dates[i], i))
                throw new InvalidInputException(
                    $"{src}: duplicate date {text} ({table.DescribeRow(seen[dates[i]])} and {table.DescribeRow(i)})");
        }
        var order = Enumerable.Range(0, n).OrderBy(i => dates[i]).ToArray(); // OrderBy is stable

        // Column selection.
        var features = new List<string>();
        var featureCols = new List<int>();
        for (var c = 0; c < table.Columns.Count; c++)
        {
            if (c == dateCol) continue;
            var name = table.Columns[c];
            if (name.StartsWith(CumulativePrefix, StringComparison.Ordinal)) continue;
            var distinct = CountDistinct(table, c, 3);
            if (distinct <= 2)
            {
                if (name == target)
                    throw new InvalidInputException(
                        $"{src}: target column '{target}' has only {distinct} distinct values and was dropped by the cleaning rule (columns with 1 or 2 distinct values are dropped)");
                continue;
            }
            features.Add(name);
            featureCols.Add(c);
        }

        // Values: empty -> 0, everything else must be a finite number.
        var f = features.Count;
        var raw = new double[n][];
        for (var r = 0; r < n; r++) raw[r] = new double[f];
        for (var j = 0; j < f; j++)
        {
            var c = featureCols[j];
            for (var r = 0; r < n; r++)
            {
                var i = order[r];
                var cell = table.Rows[i][c];
                if (!NumericCell.TryParse(cell, out var x))
                    throw new InvalidInputException(
                        $"{src}: column '{features[j]}' is not numeric: value '{Shorten(cell)}' in {table.DescribeRow(i)} (it has more than 2 distinct values, so the cleaning rule keeps it)");
                if (!double.IsFinite(x))
                    throw new InvalidInputException(
                        $"{src}: column '{features[j]}', {table.DescribeRow(i)}: value '{Shorten(cell)}' is not a finite number");
                raw[r][j] = features[j] == target ? targetTransform.ForwardChecked(x, target, table.DescribeRow(i)) : x;
            }
        }

        // Min-max scaling as sklearn.preprocessing.MinMaxScaler (feature_range (0, 1), clip False).
        var scaler = MinMaxScaler.Fit(raw, f);
        scaler.TransformInPlace(raw);
        return new CleanDataset(src, target, features, order.Select(i => dates[i]).ToArray(), scaler, raw, targetTransform);
    }

    /// <summary>Distinct values of column <paramref name="col"/>, counted up to <paramref name="limit"/>.</summary>
    internal static int CountDistinct(RawTable table, int col, int limit)
    {
        var values = new List<CellValue>(limit);
        foreach (var row in table.Rows)
        {
            var v = CellValue.Of(row[col]);
            if (!values.Contains(v))
            {
                values.Add(v);
                if (values.Count >= limit) break;
            }
        }
        return values.Count;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    private readonly record struct CellValue(byte Kind, double Number, string? Text)
    {
        public static CellValue Of(string cell) =>
            cell.Length == 0 ? new CellValue(0, 0, null)
            : NumericCell.TryParse(cell, out var x) ? new CellValue(1, x, null)
            : new CellValue(2, 0, cell);
        // record struct equality uses EqualityComparer<double>.Default: 0.0 == -0.0 and NaN == NaN.
    }
}
