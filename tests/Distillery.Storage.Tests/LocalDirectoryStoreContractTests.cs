namespace Distillery.Storage.Tests;

public sealed class LocalDirectoryStoreContractTests : ArtifactStoreContract
{
    protected override Task<IArtifactStore> CreateStoreAsync() =>
        Task.FromResult<IArtifactStore>(new LocalDirectoryStore(Path.Combine(Path.GetTempPath(), "distillery-store-tests", Guid.NewGuid().ToString("N"))));

    protected override Task DeleteStoreAsync(IArtifactStore store)
    {
        var root = ((LocalDirectoryStore)store).Root;
        if (Directory.Exists(root))
        {
            // Nothing of a write may be left behind: no temporary files.
            Assert.Empty(Directory.EnumerateFiles(root, "*.partial", SearchOption.AllDirectories));
            Directory.Delete(root, recursive: true);
        }
        return Task.CompletedTask;
    }
}
