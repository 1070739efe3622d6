namespace Distillery.Storage;

public static class ArtifactPath
{
    /// <summary>Rejects paths that could leave the store's root or confuse a blob name.</summary>
    public static string Validate(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new InvalidInputException("artifact path is empty");
        if (path.StartsWith('/') || path.Contains('\\') || path.Contains('\0') || path.Contains("%")
            || path.Split('/').Any(s => s is "" or "." or ".."))
            throw new InvalidInputException($"artifact path '{path}' is not a clean relative path");
        return path;
    }
}
