using Distillery.Data;

namespace Distillery.Experiments;

public sealed record FoldSplit(int Fold, int[] TrainIndices, int[] TestIndices);

/// <summary>
/// What the prepare step stores for a run: the cleaned dataset's description (dataset.json) and its scaled matrix
/// (rows × features, little-endian float64). Training steps read only this, never the source again.
/// </summary>
public sealed record DatasetArtifact
{
    public required string Source { get; init; }
    public required string Target { get; init; }
    public required int Rows { get; init; }
    public required int Windows { get; init; }
    public required int InputDays { get; init; }
    public required int OutputDays { get; init; }
    public required IReadOnlyList<string> Features { get; init; }
    public required double[] Min { get; init; }
    public required double[] Max { get; init; }
    public required string FirstDate { get; init; }
    public required string LastDate { get; init; }
    public required IReadOnlyList<string> Dates { get; init; }
    public required int TargetIndex { get; init; }
    public IReadOnlyList<FoldSplit> Folds { get; init; } = [];
    /// <summary>The transform of the target before scaling, which unscaling inverts. Null is none and is not written,
    /// so a dataset without one keeps its bytes (and hash).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public TargetTransform? TargetTransform { get; init; }

    /// <summary>Columns the run's feature selection named that the data did not have to keep (not in the file, or dropped
    /// by the cleaning). Null is none and is not written.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? FeaturesLeftOut { get; init; }

    public static DatasetArtifact From(CleanDataset data, int inputDays, int outputDays, IReadOnlyList<FoldSplit> folds) => new()
    {
        Source = data.Source,
        Target = data.Target,
        Rows = data.Rows,
        Windows = Windowing.Count(data.Rows, inputDays, outputDays),
        InputDays = inputDays,
        OutputDays = outputDays,
        Features = data.Features,
        Min = data.Min,
        Max = data.Max,
        FirstDate = data.Dates[0].ToString("yyyy-MM-dd"),
        LastDate = data.Dates[^1].ToString("yyyy-MM-dd"),
        Dates = data.Dates.Select(d => d.ToString("yyyy-MM-dd")).ToArray(),
        TargetIndex = data.TargetIndex,
        Folds = folds,
        TargetTransform = data.TargetTransform == Data.TargetTransform.None ? null : data.TargetTransform,
    };

    /// <summary>Target value in patients/day from its scaled value.</summary>
    public double UnscaleTarget(double scaled) => Transform.Inverse(MinMaxScaler.Inverse(Min[TargetIndex], Max[TargetIndex], scaled));

    /// <summary>The scaled value of a target value in patients/day (the inverse of <see cref="UnscaleTarget"/>).</summary>
    public double ScaleTarget(double raw) => new MinMaxScaler(Min, Max).Transform(TargetIndex, Transform.Forward(raw));

    /// <summary><see cref="TargetTransform"/>, none when not given.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public TargetTransform Transform => TargetTransform ?? Data.TargetTransform.None;

    public static byte[] EncodeMatrix(double[][] scaled)
    {
        var columns = scaled.Length == 0 ? 0 : scaled[0].Length;
        var bytes = new byte[scaled.Length * columns * sizeof(double)];
        var span = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes.AsSpan());
        for (var r = 0; r < scaled.Length; r++) scaled[r].AsSpan().CopyTo(span.Slice(r * columns, columns));
        return bytes;
    }
}
