using System.Runtime.InteropServices;

namespace Distillery.Storage;

/// <summary>Artifacts as files under one folder. Writes go to a temporary file that is then renamed into place.
/// An artifact and its <c>.sha256</c>, and compare-and-swap writes, are guarded by a file lock shared by every
/// process using the folder (under <c>.distillery/locks/</c>; the kernel releases it when a process dies).</summary>
public sealed class LocalDirectoryStore : IVersionedArtifactStore
{
    /// <summary>Where the lock files live; never listed as artifacts.</summary>
    public const string LockFolder = ".distillery";
    // Paths share a bounded set of lock files: a hashed write holds its lock for milliseconds, and no lock is
    // taken while another is held, so two paths on one stripe only wait, never deadlock.
    private const int LockStripes = 256;
    private static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(2);
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
                .Where(p => !p.StartsWith(LockFolder + "/", StringComparison.Ordinal))
                .Where(p => p.StartsWith(prefix, StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToList()
            : [];
        return Task.FromResult(found);
    }

    public async Task<VersionedContent?> ReadVersionedAsync(string path, CancellationToken ct = default) =>
        await ReadAsync(path, ct) is { } content ? new VersionedContent(content, VersionOf(content)) : null;

    /// <summary>The version is the content's SHA-256: a write of other content always changes it (a write of the same
    /// content does not, and needs not: the state a caller read is still the state stored).</summary>
    private static string VersionOf(byte[] content) => ContentHash.Of(content);

    public async Task<bool> TryReplaceAsync(string path, ReadOnlyMemory<byte> content, string? expectedVersion, CancellationToken ct = default)
    {
        Full(path);
        using var held = await LockAsync(path, exclusive: true, ct);
        var current = await ReadAsync(path, ct);
        if (expectedVersion is null ? current is not null : current is null || VersionOf(current) != expectedVersion) return false;
        await WriteAsync(path, content, ct);
        return true;
    }

    public async Task WriteWithHashAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        Full(path);
        var sidecar = ContentHash.SidecarLine(path, ContentHash.Of(content.Span));
        // Both files under one lock: a second writer cannot slip its artifact in between ours and our hash.
        using var held = await LockAsync(path, exclusive: true, ct);
        await WriteAsync(path, content, ct);
        await WriteAsync(ContentHash.SidecarOf(path), sidecar, ct);
    }

    public async Task<HashedContent?> ReadWithHashAsync(string path, CancellationToken ct = default)
    {
        Full(path);
        using var held = await LockAsync(path, exclusive: false, ct);
        if (await ReadAsync(path, ct) is not { } content) return null;
        var sidecar = await ReadAsync(ContentHash.SidecarOf(path), ct);
        return new HashedContent(content, sidecar is null ? null : ContentHash.ParseSidecar(sidecar));
    }

    /// <summary>
    /// A lock on the path's stripe: exclusive for writers, shared for readers. It is the runtime's FileShare lock
    /// (flock on Unix, a share mode on Windows), held by an open file, so a killed process never leaves it behind.
    /// </summary>
    private async Task<IDisposable> LockAsync(string path, bool exclusive, CancellationToken ct)
    {
        var stripe = BitConverter.ToUInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path))) % LockStripes;
        var folder = Path.Combine(root, LockFolder, "locks");
        var file = Path.Combine(folder, $"{stripe:x2}.lock");
        var deadline = DateTime.UtcNow + LockTimeout;
        for (var wait = 1; ; wait = Math.Min(wait * 2, 50))
        {
            try
            {
                Directory.CreateDirectory(folder);
                return exclusive
                    ? new FileStream(file, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)
                    : new FileStream(file, FileMode.OpenOrCreate, FileAccess.Read, FileShare.ReadWrite);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(wait, ct); // held by another writer (or by readers, for a writer): wait for it
            }
            catch (IOException e)
            {
                throw new IOException($"could not lock {path} in {root} within {LockTimeout.TotalSeconds:0} s: {e.Message}", e);
            }
        }
    }
}
