using System.Reflection;
using System.Text.Json.Serialization;

namespace Distillery.Models;

/// <summary>
/// The models a run trains: the LSTM teacher, the feed-forward student distilled from it, and the same feed-forward
/// net trained on the true targets (the "FNN" baseline). What each kind is — its name in JSON and paths, its
/// architecture, what it learns from, its learning rate — is decided in <see cref="ModelKinds"/> by switches without
/// a default arm, so a new kind does not compile until every one of them says what it is.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ModelKind>))]
public enum ModelKind
{
    [JsonStringEnumMemberName("teacher")] Teacher = 0,
    [JsonStringEnumMemberName("student")] Student = 1,
    [JsonStringEnumMemberName("fnn")] Fnn = 2,
}

/// <summary>The network a kind is. The value is part of each job's seed (a student and the FNN of a fold start from
/// the same weights because they share it): never renumber.</summary>
public enum Architecture { Lstm = 0, FeedForward = 1 }

public static class ModelKinds
{
    /// <summary>Every kind, in the order results and reports list them.</summary>
    public static IReadOnlyList<ModelKind> All { get; } = [ModelKind.Teacher, ModelKind.Student, ModelKind.Fnn];

    // The JSON name is the one home of a kind's name: paths, results and the API all use it.
    private static readonly IReadOnlyDictionary<ModelKind, string> Names = Enum.GetValues<ModelKind>().ToDictionary(kind => kind,
        kind => typeof(ModelKind).GetField(kind.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                ?? throw new InvalidOperationException($"ModelKind.{kind} has no [JsonStringEnumMemberName]"));

    /// <summary>The kind's name in results.json, artifact paths and the HTTP API.</summary>
    public static string Name(this ModelKind kind) => Names[kind];

    /// <summary>The kind named <paramref name="name"/> (case-insensitive); null if there is none.</summary>
    public static ModelKind? Parse(string? name) =>
        All.Cast<ModelKind?>().FirstOrDefault(k => string.Equals(k!.Value.Name(), name, StringComparison.OrdinalIgnoreCase));

    public static Architecture Architecture(this ModelKind kind) => kind switch
    {
        ModelKind.Teacher => Models.Architecture.Lstm,
        ModelKind.Student or ModelKind.Fnn => Models.Architecture.FeedForward,
    };

    /// <summary>True for a kind trained on a teacher's outputs (distilled) rather than on the true targets.</summary>
    public static bool LearnsFromTeacher(this ModelKind kind) => kind switch
    {
        ModelKind.Student => true,
        ModelKind.Teacher or ModelKind.Fnn => false,
    };
}
