using Azure.Identity;
using Azure.Storage.Blobs;
using Distillery.Storage;
using Distillery.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace Distillery.Functions;

/// <summary>The app's artifact store: the AzureWebJobsStorage account, by connection string (Azurite, keys) or by
/// identity (<c>AzureWebJobsStorage__blobServiceUri</c> + <c>__clientId</c>, as infra/ deploys it).</summary>
public static class ArtifactStoreFactory
{
    public static BlobArtifactStore Create(IConfiguration config, string container)
    {
        var connection = config["AzureWebJobsStorage"];
        if (!string.IsNullOrWhiteSpace(connection)) return BlobArtifactStore.FromConnectionString(connection, container);
        var blobUri = config["AzureWebJobsStorage:blobServiceUri"]
                      ?? throw new InvalidOperationException("set AzureWebJobsStorage (connection string) or AzureWebJobsStorage__blobServiceUri");
        var clientId = config["AzureWebJobsStorage:clientId"];
        Azure.Core.TokenCredential credential = clientId is null
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        var service = new BlobServiceClient(new Uri(blobUri), credential, BlobArtifactStore.CreateClientOptions());
        return new BlobArtifactStore(service.GetBlobContainerClient(container));
    }
}
