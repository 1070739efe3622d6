using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Distillery.Storage;

/// <summary>What a checked read found: nothing, content whose SHA-256 matches the one stored beside it, content with no
/// stored hash (written before hashes, or a write that died between the two), or corrupt content.</summary>
public enum ArtifactCheck { Missing, Verified, Unhashed, Corrupt }

public sealed record CheckedArtifact(string Path, byte[]? Content, ArtifactCheck Status, string? Expected = null, string? Actual = null)
{
    public bool IsVerified => Status == ArtifactCheck.Verified;

    public string Describe() => Status switch
    {
        ArtifactCheck.Missing => $"{Path} is missing",
        ArtifactCheck.Unhashed => $"{Path} has no {ContentHash.Suffix} beside it",
        ArtifactCheck.Corrupt => $"{Path} is corrupt: its SHA-256 is {Actual}, {Path}{ContentHash.Suffix} records {Expected}",
        _ => $"{Path} verified",
    };
}

/// <summary>A stored artifact whose content does not match its recorded SHA-256: never used; recomputed where a step can.</summary>
public sealed class CorruptArtifactException(string message) : InvalidOperationException(message);

/// <summary>
/// SHA-256 content hashes beside artifacts: <c>{path}.sha256</c> holds <c>{hex}  {file name}</c> (the format of
/// <c>sha256sum</c>, so <c>sha256sum -c</c> checks a run folder). The store writes an artifact and its hash as one
/// unit (<see cref="IArtifactStore.WriteWithHashAsync"/>), so a hash that matches means the artifact is complete and
/// intact, also when several steps write the same artifact at once.
/// </summary>
public static class ContentHash
{
    public const string Suffix = ".sha256";

    public static string SidecarOf(string path) => path + Suffix;

    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The sidecar's text for an artifact at <paramref name="path"/> with hash <paramref name="sha256"/>.</summary>
    public static byte[] SidecarLine(string path, string sha256) =>
        Encoding.ASCII.GetBytes($"{sha256}  {path[(path.LastIndexOf('/') + 1)..]}\n");

    /// <summary>The hash a sidecar records (its first 64 characters, lower-cased).</summary>
    public static string ParseSidecar(ReadOnlySpan<byte> sidecar)
    {
        var text = Encoding.ASCII.GetString(sidecar).Trim();
        return text.Length >= 64 ? text[..64].ToLowerInvariant() : text;
    }

    /// <summary>Writes the artifact and its hash, as one unit.</summary>
    public static Task WriteHashedAsync(this IArtifactStore store, string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        store.WriteWithHashAsync(path, content, ct);

    public static Task WriteHashedJsonAsync<T>(this IArtifactStore store, string path, T value, CancellationToken ct = default) =>
        store.WriteWithHashAsync(path, JsonSerializer.SerializeToUtf8Bytes(value, ArtifactStoreJson.Options), ct);

    /// <summary>Reads an artifact and checks it against the hash recorded for it.</summary>
    public static async Task<CheckedArtifact> ReadCheckedAsync(this IArtifactStore store, string path, CancellationToken ct = default)
    {
        var read = await store.ReadWithHashAsync(path, ct);
        if (read is null) return new CheckedArtifact(path, null, ArtifactCheck.Missing);
        if (read.Sha256 is not { } expected) return new CheckedArtifact(path, read.Content, ArtifactCheck.Unhashed);
        var actual = Of(read.Content);
        return expected == actual
            ? new CheckedArtifact(path, read.Content, ArtifactCheck.Verified, expected, actual)
            : new CheckedArtifact(path, read.Content, ArtifactCheck.Corrupt, expected, actual);
    }

    /// <summary>For readers that cannot recompute (summaries, reports, serving): the content, or null when missing;
    /// a hash mismatch throws <see cref="CorruptArtifactException"/>. Content without a stored hash is accepted
    /// (runs written before hashes were stored).</summary>
    public static async Task<byte[]?> ReadIntactAsync(this IArtifactStore store, string path, CancellationToken ct = default)
    {
        var read = await store.ReadCheckedAsync(path, ct);
        return read.Status == ArtifactCheck.Corrupt ? throw new CorruptArtifactException(read.Describe()) : read.Content;
    }

    public static async Task<T?> ReadIntactJsonAsync<T>(this IArtifactStore store, string path, CancellationToken ct = default) where T : class
    {
        var bytes = await store.ReadIntactAsync(path, ct);
        return bytes is null ? null : JsonSerializer.Deserialize<T>(bytes, ArtifactStoreJson.Options);
    }

    /// <summary>The JSON of a verified artifact (hash present and matching); null otherwise.</summary>
    public static T? VerifiedJson<T>(this CheckedArtifact read) where T : class
    {
        if (!read.IsVerified) return null;
        try { return JsonSerializer.Deserialize<T>(read.Content!, ArtifactStoreJson.Options); }
        catch (JsonException) { return null; }
    }
}
