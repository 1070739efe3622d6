namespace Distillery.Storage;

/// <summary>
/// Where datasets, models and results live, addressed by relative paths such as <c>runs/{runId}/results.json</c>.
/// Writes are atomic: a reader sees a complete artifact or none.
/// </summary>
public interface IArtifactStore
{
    /// <summary>A short description for logs and reports (a folder, or an account and container).</summary>
    string Describe();
    Task<bool> ExistsAsync(string path, CancellationToken ct = default);
    /// <summary>The whole artifact, or null when it does not exist.</summary>
    Task<byte[]?> ReadAsync(string path, CancellationToken ct = default);
    Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default);
    /// <summary>Writes only if nothing exists at the path, atomically: of concurrent callers exactly one gets true.</summary>
    Task<bool> CreateNewAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default);
    Task<bool> DeleteAsync(string path, CancellationToken ct = default);
    /// <summary>Paths under a prefix, in ordinal order.</summary>
    Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct = default);
}

/// <summary>A store that can tell an artifact's version (an ETag) without reading it, so watchers can skip
/// unchanged data cheaply.</summary>
public interface IVersionedArtifactStore : IArtifactStore
{
    /// <summary>An opaque version that changes whenever the artifact is rewritten; null when it does not exist.</summary>
    Task<string?> VersionAsync(string path, CancellationToken ct = default);
}

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
