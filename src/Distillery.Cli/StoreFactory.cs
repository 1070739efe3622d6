using Distillery.Storage;

namespace Distillery.Cli;

public static class StoreFactory
{
    public static IArtifactStore Create(string outDir, string? connection, string container) =>
        connection is null
            ? new LocalDirectoryStore(outDir)
            : throw new InvalidInputException("--connection needs Blob Storage support, which this build does not include yet");
}
