using Distillery.Storage;

namespace Distillery.Tests.Workflow;

/// <summary>A real store with injected faults: the first write to a matching path fails like a dropped connection,
/// and reads are counted, to see what the workflow retries.</summary>
public sealed class FaultyStore(IArtifactStore inner, Func<string, bool> failFirstWrite) : IArtifactStore
{
    private readonly HashSet<string> failed = [];
    private readonly Dictionary<string, int> reads = [];
    private readonly Lock gate = new();

    public int FailedWrites { get { lock (gate) return failed.Count; } }
    public int Reads(string path) { lock (gate) return reads.GetValueOrDefault(path); }

    public string Describe() => inner.Describe();
    public Task<bool> ExistsAsync(string path, CancellationToken ct = default) => inner.ExistsAsync(path, ct);

    public Task<byte[]?> ReadAsync(string path, CancellationToken ct = default)
    {
        lock (gate) reads[path] = reads.GetValueOrDefault(path) + 1;
        return inner.ReadAsync(path, ct);
    }

    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        MaybeFail(path);
        return inner.WriteAsync(path, content, ct);
    }

    public Task WriteWithHashAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        MaybeFail(path);
        return inner.WriteWithHashAsync(path, content, ct);
    }

    private void MaybeFail(string path)
    {
        lock (gate)
            if (failFirstWrite(path) && failed.Add(path))
                throw new IOException($"injected transient fault writing {path}");
    }

    public Task<HashedContent?> ReadWithHashAsync(string path, CancellationToken ct = default)
    {
        lock (gate) reads[path] = reads.GetValueOrDefault(path) + 1;
        return inner.ReadWithHashAsync(path, ct);
    }

    public Task<VersionedContent?> ReadVersionedAsync(string path, CancellationToken ct = default) => inner.ReadVersionedAsync(path, ct);
    public Task<bool> TryReplaceAsync(string path, ReadOnlyMemory<byte> content, string? expectedVersion, CancellationToken ct = default) =>
        inner.TryReplaceAsync(path, content, expectedVersion, ct);

    public Task<bool> CreateNewAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) => inner.CreateNewAsync(path, content, ct);
    public Task<bool> DeleteAsync(string path, CancellationToken ct = default) => inner.DeleteAsync(path, ct);
    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);
}
