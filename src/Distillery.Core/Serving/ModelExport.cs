using System.Buffers.Binary;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Serving;

/// <summary>The student's network, as stored weights describe it.</summary>
public sealed record ServingArchitecture(int InputDays, int OutputDays, int Features, int Hidden, int Layers,
    string Activation, string Output, string InputLayout);

/// <summary>One tensor of the exported .safetensors file.</summary>
public sealed record ServingTensor(string Name, string Dtype, long[] Shape);

/// <summary>What a consumer of the exported student needs besides its weights: the network, the feature order, the
/// min/max scaling, the window normalisation, and for a calibrated run the conformal offsets of its 23 quantiles
/// (serialized camelCase next to the .safetensors file).</summary>
public sealed record ServingSidecar(
    string RunId, string Model, int Fold, ServingArchitecture Architecture, IReadOnlyList<ServingTensor> Tensors,
    IReadOnlyList<string> Features, double[] Min, double[] Max, int TargetIndex, string Target, string HowToUse)
{
    /// <summary><c>none</c> or <c>last-value</c> (<see cref="WindowNormalization"/>).</summary>
    public string Normalization { get; init; } = WindowNormalizations.NoneName;

    /// <summary>Per output day, the offsets (patients/day) at <see cref="QuantileLevels"/>; null without a calibration.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double[][]? QuantileOffsets { get; init; }

    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? QuantileLevels { get; init; }
}

public static class ModelExport
{
    /// <summary>The champion-fold student's stored .safetensors bytes and its sidecar.</summary>
    public static async Task<(byte[] Safetensors, ServingSidecar Sidecar)> StudentAsync(IArtifactStore store, string runId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var layout = new RunLayout(RunIds.Validate(runId));
        var results = await store.ReadJsonAsync<RunResults>(layout.Results, ct)
                      ?? throw new RunNotFoundException($"run '{runId}' not found or not finished (no results.json)");
        // The sidecar's recipe is scaling → (shift) → network → (unshift) → unscaling; it does not describe log1p.
        if (results.Settings.TargetTransformKind != Data.TargetTransform.None)
            throw new InvalidInputException($"run '{runId}' uses targetTransform, which the export's how-to does not describe yet: serve it with predict instead");
        var normalization = results.Settings.WindowNormalization;
        var fold = Forecaster.ChampionFold(results);
        // Leakage-free models were trained on their fold's own features and scaler.
        var datasetPath = layout.DatasetJsonOf(results.EvaluationProtocol, fold);
        var meta = await store.ReadIntactJsonAsync<DatasetArtifact>(datasetPath, ct)
                   ?? throw new InvalidOperationException($"run '{runId}' has results but no {datasetPath}");
        var path = layout.Safetensors(ModelKind.Student, fold);
        var bytes = await store.ReadIntactAsync(path, ct) ?? throw new InvalidOperationException($"run '{runId}' has no {path}");
        var shape = results.Settings.ShapeFor(meta);
        var features = meta.Features.Count;
        var shifted = normalization == WindowNormalization.LastValue;
        var architecture = new ServingArchitecture(shape.InputDays, shape.OutputDays, features, shape.StudentHidden, shape.StudentLayers,
            "relu", shape.LinearHead ? "linear" : "sigmoid", "[batch, inputDays, features] flattened row-major");
        var calibration = (await store.ReadIntactJsonAsync<TrainingOutcome>(layout.Outcome(ModelKind.Student, fold), ct))?.Calibration;
        var howToUse =
            $"Input: the last {shape.InputDays} days of the {features} features in 'features' order, as [1, {shape.InputDays}, {features}] " +
            $"float32 flattened row-major (day by day) into {shape.InputDays * features} values. Scale each value x of feature j with " +
            "(x - min[j]) / (max[j] - min[j]) (divide by 1 when max = min); an empty value is 0 before scaling. " +
            (shifted ? "Then subtract from each feature's values that feature's scaled value on the last input day (normalization last-value). " : "") +
            $"Network: {shape.StudentLayers} × (Linear → {shape.StudentHidden}, ReLU), then Linear → {shape.OutputDays}" +
            (shape.LinearHead ? " (no output activation). " : " and sigmoid. ") +
            (shifted ? "Add the target's scaled value on the last input day to each output. " : "") +
            "Output k is day k+1 after the last input date, in patients/day: y × (max[t] - min[t]) + min[t] with t = targetIndex." +
            (calibration is null ? "" : " Quantiles: day k's value plus quantileOffsets[k][i] is its quantile at quantileLevels[i]; sort the 23 and clamp at 0.");
        return (bytes, new ServingSidecar(layout.RunId, ModelKind.Student.Name(), fold, architecture, Tensors(bytes, path),
            meta.Features, meta.Min, meta.Max, meta.TargetIndex, meta.Target, howToUse)
        {
            Normalization = shifted ? WindowNormalizations.LastValueName : WindowNormalizations.NoneName,
            QuantileOffsets = calibration?.Offsets,
            QuantileLevels = calibration is null ? null : Scoring.QuantileLevels.Levels,
        });
    }

    /// <summary>The tensors listed in a .safetensors header (8-byte little-endian length, then JSON), in header order.</summary>
    public static IReadOnlyList<ServingTensor> Tensors(ReadOnlySpan<byte> safetensors, string name = "safetensors")
    {
        if (safetensors.Length < 8) throw new InvalidOperationException($"{name} is too short for a safetensors header");
        var length = BinaryPrimitives.ReadUInt64LittleEndian(safetensors);
        if (length > (ulong)(safetensors.Length - 8)) throw new InvalidOperationException($"{name}: header length {length} exceeds the file");
        using var header = JsonDocument.Parse(safetensors.Slice(8, (int)length).ToArray());
        var tensors = new List<ServingTensor>();
        foreach (var p in header.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            tensors.Add(new ServingTensor(p.Name, p.Value.GetProperty("dtype").GetString() ?? "",
                p.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()));
        }
        return tensors;
    }
}
