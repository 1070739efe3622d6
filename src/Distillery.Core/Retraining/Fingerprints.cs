using Distillery.Storage;

namespace Distillery.Retraining;

/// <summary>A dataset version's identity: the SHA-256 of its bytes (the same hash artifacts are verified with).</summary>
public static class Fingerprints
{
    public static string Of(ReadOnlySpan<byte> content) => ContentHash.Of(content);
}
