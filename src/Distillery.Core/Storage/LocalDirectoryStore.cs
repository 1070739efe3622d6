namespace Distillery.Storage;

/// <summary>Artifacts as files under one folder. Writes go to a temporary file that is then renamed into place.</summary>
public sealed class LocalDirectoryStore : IVersionedArtifactStore
{
    private readonly string root;

    public LocalDirectoryStore(string root)
    {
        this.root = Path.GetFullPath(root);
        Directory.CreateDirectory(this.root);
    }

    public string Root => root;
    public string Describe() => root;

    private string Full(string path) => Path.Combine(root, ArtifactPath.Validate(path));

    public Task<bool> ExistsAsync(string path, CancellationToken ct = default) => Task.FromResult(File.Exists(Full(path)));

    public async Task<byte[]?> ReadAsync(string path, CancellationToken ct = default)
    {
        var full = Full(path);
        try { return await File.ReadAllBytesAsync(full, ct); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
    }

    public async Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.partial";
        try
        {
            await using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                await stream.WriteAsync(content, ct);
                await stream.FlushAsync(ct);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public Task<string?> VersionAsync(string path, CancellationToken ct = default)
    {
        var file = new FileInfo(Full(path));
        return Task.FromResult(file.Exists ? $"{file.Length:x}-{file.LastWriteTimeUtc.Ticks:x}" : null);
    }

    public async Task<bool> CreateNewAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var full = Full(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.partial";
        try
        {
            await File.WriteAllBytesAsync(temp, content.ToArray(), ct);
            // Without overwrite, File.Move links the file into place: it fails if the target exists (atomic create-if-absent).
            File.Move(temp, full, overwrite: false);
            return true;
        }
        catch (IOException) when (File.Exists(full))
        {
            return false;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public Task<bool> DeleteAsync(string path, CancellationToken ct = default)
    {
        var full = Full(path);
        if (!File.Exists(full)) return Task.FromResult(false);
        File.Delete(full);
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct = default)
    {
        IReadOnlyList<string> found = Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .Where(f => !f.EndsWith(".partial", StringComparison.Ordinal))
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        return Task.FromResult(found);
    }
}
