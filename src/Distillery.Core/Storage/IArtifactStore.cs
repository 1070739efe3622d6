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

    /// <summary>The artifact and an opaque version of exactly that content, for <see cref="TryReplaceAsync"/>; null
    /// when it does not exist.</summary>
    Task<VersionedContent?> ReadVersionedAsync(string path, CancellationToken ct = default);
    /// <summary>Optimistic concurrency: writes only if the artifact is still at <paramref name="expectedVersion"/>
    /// (from <see cref="ReadVersionedAsync"/>; null: only if it does not exist), atomically. False when another writer
    /// got there first: re-read, redo the change and try again.</summary>
    Task<bool> TryReplaceAsync(string path, ReadOnlyMemory<byte> content, string? expectedVersion, CancellationToken ct = default);

    /// <summary>Writes an artifact and its SHA-256 (also as <c>{path}.sha256</c>, see <see cref="ContentHash"/>) as
    /// one unit: however hashed writers of one path interleave, the artifact ends with the hash of its own content,
    /// and <see cref="ReadWithHashAsync"/> never pairs one writer's content with another's hash.</summary>
    Task WriteWithHashAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default);
    /// <summary>The artifact and the SHA-256 recorded for it (null when none is), read as one unit; null when the
    /// artifact does not exist.</summary>
    Task<HashedContent?> ReadWithHashAsync(string path, CancellationToken ct = default);
}

/// <summary>Content and the version it was read at.</summary>
public sealed record VersionedContent(byte[] Content, string Version);

/// <summary>Content and the SHA-256 (lower-case hex) recorded for it, if any.</summary>
public sealed record HashedContent(byte[] Content, string? Sha256);

/// <summary>A store that can tell an artifact's version (an ETag) without reading it, so watchers can skip
/// unchanged data cheaply.</summary>
public interface IVersionedArtifactStore : IArtifactStore
{
    /// <summary>An opaque version that changes whenever the artifact is rewritten; null when it does not exist.</summary>
    Task<string?> VersionAsync(string path, CancellationToken ct = default);
}

