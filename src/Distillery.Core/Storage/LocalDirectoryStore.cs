using System.Runtime.InteropServices;

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
            // link(2) puts the complete file in place only if nothing is there, atomically (EEXIST otherwise).
            // File.Move(overwrite: false) checks and then renames on some file systems: two callers could both win.
            if (!OperatingSystem.IsWindows() && Link(temp, full) is var errno and not LinkUnsupported)
                return errno == 0 ? true : errno == EExist ? false : throw new IOException($"could not create {full}: errno {errno}");
            File.Move(temp, full, overwrite: false); // Windows: MoveFileEx without REPLACE_EXISTING is atomic
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

    private const int EExist = 17, LinkUnsupported = -1;

    /// <summary>0, an errno, or <see cref="LinkUnsupported"/> when the file system has no hard links.</summary>
    private static int Link(string existing, string created)
    {
        if (link(existing, created) == 0) return 0;
        var errno = Marshal.GetLastPInvokeError();
        return errno is 1 or 18 or 38 or 95 ? LinkUnsupported : errno; // EPERM, EXDEV, ENOSYS, EOPNOTSUPP
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

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
