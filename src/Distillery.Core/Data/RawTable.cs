namespace Distillery.Data;

/// <summary>A CSV file as read from disk or the network: the header and every data row as raw strings
/// (unescaped, empty string for an empty cell). Every row has exactly <see cref="Columns"/>.Count cells.</summary>
/// <param name="Source">Name of the source (path, URL, location key) used in error messages.</param>
/// <param name="Columns">Header names, in file order.</param>
/// <param name="Rows">Data rows in file order.</param>
public sealed record RawTable(string Source, IReadOnlyList<string> Columns, IReadOnlyList<string[]> Rows)
{
    /// <summary>For each row, the 1-based line of the file where it starts (the header is line 1), when known.</summary>
    public IReadOnlyList<int>? LineNumbers { get; init; }

    /// <summary>Index of the column named <paramref name="name"/> (ordinal), or -1.</summary>
    public int ColumnIndex(string name)
    {
        for (var i = 0; i < Columns.Count; i++)
            if (string.Equals(Columns[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>"row N (line L)" for error messages; <paramref name="row"/> is 0-based.</summary>
    public string DescribeRow(int row) =>
        LineNumbers is { } lines && row < lines.Count ? $"row {row + 1} (line {lines[row]})" : $"row {row + 1}";
}
