using System.Net.Sockets;
using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Distillery.Storage.Blobs;

/// <summary>
/// Artifacts as block blobs in one container; the artifact path is the blob name.
/// Storage that cannot be reached (after the SDK's retries) surfaces as an <see cref="IOException"/>
/// whose message names the store and its endpoint; other refusals also surface as <see cref="IOException"/>.
/// </summary>
public sealed class BlobArtifactStore : IVersionedArtifactStore
{
    /// <summary>Content up to this size is written with one Put Blob request; larger content is staged in blocks of this size.</summary>
    public const int BlockSize = 4 * 1024 * 1024;
    private const int MaxCommitAttempts = 4;

    public BlobArtifactStore(BlobContainerClient container)
    {
        Container = container ?? throw new ArgumentNullException(nameof(container));
    }

    public BlobContainerClient Container { get; }

    /// <summary>The endpoint the store talks to, such as <c>https://account.blob.core.windows.net</c> or <c>http://127.0.0.1:10000</c>.</summary>
    public string Endpoint => $"{Container.Uri.Scheme}://{Container.Uri.Authority}";

    /// <summary>
    /// Client options with a modest retry policy: 3 retries with short exponential back-off and a 10 s network timeout
    /// per request, so unreachable storage (a stopped Azurite) fails within seconds rather than minutes.
    /// Every request the store makes carries at most <see cref="BlockSize"/> bytes, so the timeout holds for large artifacts too.
    /// </summary>
    public static BlobClientOptions CreateClientOptions()
    {
        var options = new BlobClientOptions();
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = 3;
        options.Retry.Delay = TimeSpan.FromMilliseconds(500);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(4);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }

    public static BlobArtifactStore FromConnectionString(string connectionString, string container)
    {
        if (string.IsNullOrWhiteSpace(connectionString)) throw new InvalidInputException("storage connection string is empty");
        if (string.IsNullOrWhiteSpace(container)) throw new InvalidInputException("storage container name is empty");
        try
        {
            return new BlobArtifactStore(new BlobContainerClient(connectionString, container, CreateClientOptions()));
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // The SDK's message does not repeat the connection string, so no key leaks into logs.
            throw new InvalidInputException($"storage connection string is not valid: {ex.Message}", ex);
        }
    }

    public string Describe() => $"blob://{Container.AccountName}/{Container.Name}";

    /// <summary>Creates the container if it does not exist yet.</summary>
    public Task EnsureContainerAsync(CancellationToken ct = default) =>
        Guard("create container", null, () => Container.CreateIfNotExistsAsync(cancellationToken: ct), ct);

    private BlockBlobClient Blob(string path) => Container.GetBlockBlobClient(ArtifactPath.Validate(path));

    public Task<bool> ExistsAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        return Guard("exists", path, async () =>
        {
            try { return (await blob.ExistsAsync(ct)).Value; }
            catch (RequestFailedException ex) when (ex.Status == 404) { return false; }
        }, ct);
    }

    public Task<bool> CreateNewAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var blob = Blob(path);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = ContentTypeOf(path) },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        };
        return Guard("create", path, async () =>
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await blob.UploadAsync(BinaryData.FromBytes(content).ToStream(), options, ct);
                    return true;
                }
                catch (RequestFailedException ex) when (ex.Status is 409 or 412 && ex.ErrorCode != BlobErrorCode.ContainerNotFound)
                {
                    return false; // someone else created it first
                }
                catch (RequestFailedException ex) when (ex.Status == 404 && attempt < 2)
                {
                    await Container.CreateIfNotExistsAsync(cancellationToken: ct);
                }
            }
        }, ct);
    }

    public Task<string?> VersionAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        return Guard("version", path, async () =>
        {
            try { return (string?)(await blob.GetPropertiesAsync(cancellationToken: ct)).Value.ETag.ToString(); }
            catch (RequestFailedException ex) when (ex.Status == 404) { return null; }
        }, ct);
    }

    public Task<byte[]?> ReadAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        return Guard("read", path, async () =>
        {
            try
            {
                // One GET: the content is one committed version of the blob, never a mix of two writes.
                var result = await blob.DownloadContentAsync(ct);
                return result.Value.Content.ToArray();
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { return (byte[]?)null; } // blob or container missing
        }, ct);
    }

    /// <summary>
    /// Atomic: readers see the previous blob or the new one, never a partial or mixed blob.
    /// Up to <see cref="BlockSize"/> the content goes in a single Put Blob request, which replaces the blob atomically.
    /// Larger content is staged as uncommitted blocks and published by one Put Block List commit, which is equally atomic.
    /// The block ids are random per write: the SDK's own partitioned UploadAsync derives block ids from offsets only,
    /// so two concurrent writers of one blob could commit a mix of each other's blocks.
    /// A commit can fail when a concurrent writer's commit discarded our uncommitted blocks; the write is then repeated.
    /// A missing container is created.
    /// </summary>
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        Guard("write", path, () => PutAsync(Blob(path), path, content, null, null, ct), ct);

    /// <summary>One atomic upload (see <see cref="WriteAsync"/>); false when <paramref name="conditions"/> failed.</summary>
    private async Task<bool> PutAsync(BlockBlobClient blob, string path, ReadOnlyMemory<byte> content, IDictionary<string, string>? metadata,
        BlobRequestConditions? conditions, CancellationToken ct)
    {
        var headers = new BlobHttpHeaders { ContentType = ContentTypeOf(path) };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await UploadAsync(blob, content, headers, ct, metadata, conditions);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 404 && ex.ErrorCode == BlobErrorCode.ContainerNotFound && attempt < MaxCommitAttempts)
            {
                await Container.CreateIfNotExistsAsync(cancellationToken: ct);
            }
            catch (RequestFailedException ex) when (ex.ErrorCode == BlobErrorCode.InvalidBlockList && attempt < MaxCommitAttempts)
            {
                // A concurrent writer committed first and discarded our staged blocks: write again (last writer wins;
                // with conditions, the retry's condition decides).
            }
            catch (RequestFailedException ex) when (conditions is not null && (ex.Status == 412 || ex.ErrorCode == BlobErrorCode.BlobAlreadyExists
                                                                               || ex.ErrorCode == BlobErrorCode.BlobNotFound))
            {
                return false;
            }
        }
    }

    public Task<VersionedContent?> ReadVersionedAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        return Guard("read", path, async () =>
        {
            try
            {
                // One GET: the content and the ETag of that very version.
                var result = (await blob.DownloadContentAsync(ct)).Value;
                return new VersionedContent(result.Content.ToArray(), result.Details.ETag.ToString());
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { return (VersionedContent?)null; }
        }, ct);
    }

    public Task<bool> TryReplaceAsync(string path, ReadOnlyMemory<byte> content, string? expectedVersion, CancellationToken ct = default)
    {
        var blob = Blob(path);
        var conditions = expectedVersion is null
            ? new BlobRequestConditions { IfNoneMatch = ETag.All }
            : new BlobRequestConditions { IfMatch = new ETag(expectedVersion) };
        return Guard("replace", path, () => PutAsync(blob, path, content, null, conditions, ct), ct);
    }

    /// <summary>Blob metadata that carries an artifact's SHA-256 in the same request as its content.</summary>
    public const string HashMetadata = "sha256";

    /// <summary>
    /// The hash travels in the artifact's own metadata, set by the same Put Blob (or block-list commit) as the
    /// content, so the two are one unit. The <c>.sha256</c> blob beside it (for <c>sha256sum</c> and older readers)
    /// is then brought into line with whatever the artifact holds by a compare-and-swap loop: of writers racing,
    /// the last to finish leaves the sidecar matching the artifact.
    /// </summary>
    public Task WriteWithHashAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default)
    {
        var blob = Blob(path);
        var metadata = new Dictionary<string, string> { [HashMetadata] = ContentHash.Of(content.Span) };
        return Guard("write", path, async () =>
        {
            await PutAsync(blob, path, content, metadata, null, ct);
            await SyncSidecarAsync(blob, path, ct);
            return true;
        }, ct);
    }

    private async Task SyncSidecarAsync(BlockBlobClient blob, string path, CancellationToken ct)
    {
        var sidecarPath = ContentHash.SidecarOf(path);
        var sidecar = Blob(sidecarPath);
        for (var attempt = 1; ; attempt++)
        {
            if (attempt > 50) throw new IOException($"{sidecarPath} kept changing while being brought into line with {path}");
            // The sidecar's version first, then the artifact: a sidecar write that succeeds was decided on an
            // artifact read after every earlier sidecar write, so a stale hash cannot land last.
            VersionedContent? current;
            try
            {
                var read = (await sidecar.DownloadContentAsync(ct)).Value;
                current = new VersionedContent(read.Content.ToArray(), read.Details.ETag.ToString());
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { current = null; }
            IDictionary<string, string> metadata;
            try { metadata = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value.Metadata; }
            catch (RequestFailedException ex) when (ex.Status == 404) { return; } // deleted meanwhile: nothing to describe
            if (!metadata.TryGetValue(HashMetadata, out var hash)) return; // replaced by an unhashed write: not ours to describe
            var line = ContentHash.SidecarLine(path, hash);
            if (current is not null && current.Content.AsSpan().SequenceEqual(line)) return;
            var conditions = current is null
                ? new BlobRequestConditions { IfNoneMatch = ETag.All }
                : new BlobRequestConditions { IfMatch = new ETag(current.Version) };
            if (await PutAsync(sidecar, sidecarPath, line, null, conditions, ct)) return;
        }
    }

    /// <summary>The content and the hash in its metadata, from one GET; an artifact without one (written unhashed,
    /// or before hashes travelled in metadata) falls back to the <c>.sha256</c> blob beside it.</summary>
    public Task<HashedContent?> ReadWithHashAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        var sidecar = Blob(ContentHash.SidecarOf(path));
        return Guard("read", path, async () =>
        {
            BlobDownloadResult result;
            try { result = (await blob.DownloadContentAsync(ct)).Value; }
            catch (RequestFailedException ex) when (ex.Status == 404) { return (HashedContent?)null; }
            var content = result.Content.ToArray();
            if (result.Details.Metadata.TryGetValue(HashMetadata, out var hash)) return new HashedContent(content, hash);
            try { return new HashedContent(content, ContentHash.ParseSidecar((await sidecar.DownloadContentAsync(ct)).Value.Content.ToArray())); }
            catch (RequestFailedException ex) when (ex.Status == 404) { return new HashedContent(content, null); }
        }, ct);
    }

    private static async Task UploadAsync(BlockBlobClient blob, ReadOnlyMemory<byte> content, BlobHttpHeaders headers, CancellationToken ct,
        IDictionary<string, string>? metadata = null, BlobRequestConditions? conditions = null)
    {
        if (content.Length <= BlockSize)
        {
            // Put Blob: without conditions it overwrites. Metadata and conditions apply to the same request.
            await blob.UploadAsync(BinaryData.FromBytes(content).ToStream(),
                new BlobUploadOptions { HttpHeaders = headers, Metadata = metadata, Conditions = conditions }, ct);
            return;
        }
        var writeId = Guid.NewGuid();
        var blocks = new List<(string Id, ReadOnlyMemory<byte> Data)>();
        for (var offset = 0; offset < content.Length; offset += BlockSize)
            blocks.Add((BlockId(writeId, blocks.Count), content.Slice(offset, Math.Min(BlockSize, content.Length - offset))));
        await Parallel.ForEachAsync(blocks, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (block, token) => await blob.StageBlockAsync(block.Id, BinaryData.FromBytes(block.Data).ToStream(), cancellationToken: token));
        await blob.CommitBlockListAsync(blocks.Select(b => b.Id),
            new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata, Conditions = conditions }, ct);
    }

    /// <summary>64 characters like the SDK's own ids (all block ids of a blob must have one length), unique per write.</summary>
    private static string BlockId(Guid writeId, int index)
    {
        var id = new byte[48];
        writeId.TryWriteBytes(id);
        BitConverter.TryWriteBytes(id.AsSpan(16), (long)index);
        return Convert.ToBase64String(id);
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "application/json",
        ".csv" => "text/csv",
        ".txt" or ".md" or ".log" => "text/plain; charset=utf-8",
        ".png" => "image/png",
        ".svg" => "image/svg+xml",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };

    public Task<bool> DeleteAsync(string path, CancellationToken ct = default)
    {
        var blob = Blob(path);
        return Guard("delete", path, async () =>
        {
            try { return (await blob.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: ct)).Value; }
            catch (RequestFailedException ex) when (ex.Status == 404) { return false; }
        }, ct);
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Guard("list", prefix, async () =>
        {
            var names = new List<string>();
            try
            {
                // Only committed blobs are listed: staged blocks of a write in progress never show.
                await foreach (var item in Container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct))
                    names.Add(item.Name);
            }
            catch (RequestFailedException ex) when (ex.Status == 404) { return (IReadOnlyList<string>)[]; }
            names.Sort(StringComparer.Ordinal);
            return (IReadOnlyList<string>)names;
        }, ct);
    }

    private async Task<T> Guard<T>(string operation, string? path, Func<Task<T>> action, CancellationToken ct)
    {
        try
        {
            return await action();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Translate(ex, operation, path) is { } translated)
        {
            throw translated;
        }
    }

    private Exception? Translate(Exception ex, string operation, string? path)
    {
        var what = path is null ? operation : $"{operation} '{path}'";
        if (IsUnreachable(ex))
            return new IOException($"storage {Describe()} at {Endpoint} unreachable ({what}): {Cause(ex)}", ex);
        if (ex is RequestFailedException rfe)
            return new IOException($"storage {Describe()} at {Endpoint} refused {what}: HTTP {rfe.Status} {rfe.ErrorCode}", ex);
        return null;
    }

    private static bool IsUnreachable(Exception ex) => ex switch
    {
        // Status 0: no response at all (connection refused, DNS, TLS); 408 and 5xx: still failing after the retries.
        RequestFailedException rfe => rfe.Status is 0 or 408 || rfe.Status >= 500,
        AggregateException agg => agg.InnerExceptions.Count > 0 && agg.InnerExceptions.All(IsUnreachable),
        // A network timeout, not the caller's cancellation (checked by the caller of Translate).
        OperationCanceledException or HttpRequestException or SocketException or TimeoutException => true,
        IOException => true,
        _ => false,
    };

    private static string Cause(Exception ex)
    {
        if (ex is AggregateException { InnerExceptions.Count: > 0 } agg)
            return $"{agg.InnerExceptions.Count} attempts failed, last: {Cause(agg.InnerExceptions[^1])}";
        var message = ex.GetBaseException().Message;
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}
