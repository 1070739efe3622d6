namespace Distillery.Models;

/// <summary>The three models of the study: the LSTM teacher, the feed-forward student distilled from it,
/// and the same feed-forward net trained on the true targets (the "FNN" baseline).</summary>
public enum ModelKind { Teacher, Student, Fnn }

public static class ModelKindNames
{
    public static string Name(this ModelKind kind) => kind switch
    {
        ModelKind.Teacher => "teacher",
        ModelKind.Student => "student",
        ModelKind.Fnn => "fnn",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
