using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;

namespace Distillery.Storage.Tests;

public sealed class BlobArtifactStoreContractTests(AzuriteFixture azurite) : ArtifactStoreContract, IClassFixture<AzuriteFixture>
{
    protected override async Task<IArtifactStore> CreateStoreAsync()
    {
        var store = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, $"contract-{Guid.NewGuid():N}");
        await store.EnsureContainerAsync();
        return store;
    }

    protected override async Task DeleteStoreAsync(IArtifactStore store) =>
        await ((BlobArtifactStore)store).Container.DeleteIfExistsAsync();
}
