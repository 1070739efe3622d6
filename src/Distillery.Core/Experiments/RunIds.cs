using System.Text.RegularExpressions;

namespace Distillery.Experiments;

public static partial class RunIds
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    public static string Validate(string? id) => IsValid(id)
        ? id!
        : throw new InvalidInputException($"run id '{id}' is invalid: use 1–64 letters, digits, '-' or '_'");

    /// <summary>A sortable id: UTC time plus a short random suffix.</summary>
    public static string New(DateTime utcNow, Guid guid) => $"{utcNow:yyyyMMdd-HHmmss}-{guid.ToString("N")[..6]}";
}
