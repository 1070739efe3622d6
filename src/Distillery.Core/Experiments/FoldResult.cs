using System.Text.Json;
using System.Text.Json.Serialization;
using Distillery.Models;

namespace Distillery.Experiments;

/// <summary>One fold of a run: its windows, every model's curves and the baselines' accuracy against the truth.
/// In JSON each model is a property named for its kind (<c>"teacher": {…}</c>), as results.json has always had it.</summary>
[JsonConverter(typeof(FoldResultJson))]
public sealed record FoldResult(int Fold, int[] TrainIndices, int[] TestIndices, IReadOnlyDictionary<ModelKind, Curves> Models,
    IReadOnlyDictionary<string, TruthMetrics>? Baselines = null, IReadOnlyDictionary<string, Curves>? Sweep = null)
{
    public Curves this[ModelKind kind] => Models.TryGetValue(kind, out var curves)
        ? curves
        : throw new InvalidOperationException($"fold {Fold} has no {kind.Name()} curves");

    /// <summary>This fold with <paramref name="kind"/>'s curves replaced.</summary>
    public FoldResult With(ModelKind kind, Curves curves) =>
        this with { Models = new Dictionary<ModelKind, Curves>(Models) { [kind] = curves } };
}

internal sealed class FoldResultJson : JsonConverter<FoldResult>
{
    public override FoldResult Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("a fold result must be an object");
        T? Get<T>(string name) => root.TryGetProperty(name, out var value) ? value.Deserialize<T>(options) : default;
        var models = new Dictionary<ModelKind, Curves>();
        foreach (var kind in ModelKinds.All)
            if (Get<Curves>(kind.Name()) is { } curves) models[kind] = curves;
        return new FoldResult(Get<int>("fold"), Get<int[]>("trainIndices") ?? [], Get<int[]>("testIndices") ?? [], models,
            Get<Dictionary<string, TruthMetrics>>("baselines"), Get<Dictionary<string, Curves>>("sweep"));
    }

    public override void Write(Utf8JsonWriter writer, FoldResult value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteNumber(Name("fold", options), value.Fold);
        writer.WritePropertyName(Name("trainIndices", options));
        JsonSerializer.Serialize(writer, value.TrainIndices, options);
        writer.WritePropertyName(Name("testIndices", options));
        JsonSerializer.Serialize(writer, value.TestIndices, options);
        foreach (var kind in ModelKinds.All)
        {
            if (!value.Models.TryGetValue(kind, out var curves)) continue;
            writer.WritePropertyName(kind.Name());
            JsonSerializer.Serialize(writer, curves, options);
        }
        writer.WritePropertyName(Name("baselines", options));
        JsonSerializer.Serialize(writer, value.Baselines, options);
        writer.WritePropertyName(Name("sweep", options));
        JsonSerializer.Serialize(writer, value.Sweep, options);
        writer.WriteEndObject();
    }

    private static string Name(string camel, JsonSerializerOptions options) =>
        options.PropertyNamingPolicy is null ? char.ToUpperInvariant(camel[0]) + camel[1..] : camel;
}
