using System.Text;
using Distillery.Functions;
using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Distillery.Hosting;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>
/// The Functions' classes called in-process, as the Functions host would: real HttpRequests, the durable client of
/// Durable Task's in-process backend running the app's own orchestrator and activity functions (<see cref="FunctionsHost"/>),
/// and Blob Storage on Azurite.
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    public AzuriteServer Azurite { get; private set; } = null!;
    public BlobArtifactStore Store { get; private set; } = null!;
    public DurableHost Durable { get; private set; } = null!;
    public IOptions<DistilleryOptions> Options { get; } = Microsoft.Extensions.Options.Options.Create(new DistilleryOptions { MaxJsonBytes = 4096 });

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteServer.StartNewAsync();
        Store = BlobArtifactStore.FromConnectionString(Azurite.ConnectionString, "distillery");
        await Store.EnsureContainerAsync();
        Durable = await FunctionsHost.StartAsync(Store, Options.Value);
    }

    public async Task DisposeAsync()
    {
        await Durable.DisposeAsync();
        await Azurite.DisposeAsync();
    }

    public static HttpRequest Request(string method, string path, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("distillery.example");
        context.Request.Path = path;
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Request.Body = new MemoryStream(bytes);
            context.Request.ContentLength = bytes.Length;
            context.Request.ContentType = "application/json";
        }
        return context.Request;
    }

    public static (int Status, string ContentType, string Body) Read(IActionResult result) => result switch
    {
        ContentResult c => (c.StatusCode ?? 200, c.ContentType ?? "", c.Content ?? ""),
        FileContentResult f => (200, f.ContentType, Encoding.UTF8.GetString(f.FileContents)),
        _ => throw new InvalidOperationException($"unexpected result {result.GetType().Name}"),
    };
}
