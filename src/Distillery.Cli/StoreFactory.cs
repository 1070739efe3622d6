using Distillery.Storage;
using Distillery.Storage.Blobs;

namespace Distillery.Cli;

public static class StoreFactory
{
    /// <summary>A local folder by default; Blob Storage (Azure or Azurite) when a connection string is given.</summary>
    public static async Task<IArtifactStore> CreateAsync(string outDir, string? connection, string container, CancellationToken ct)
    {
        if (connection is null) return new LocalDirectoryStore(outDir);
        var store = BlobArtifactStore.FromConnectionString(connection, container);
        await store.EnsureContainerAsync(ct);
        return store;
    }
}
