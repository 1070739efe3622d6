using System.Diagnostics;
using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;

namespace Distillery.Storage.Tests;

public sealed class BlobArtifactStoreTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    private static string NewContainer() => $"blob-{Guid.NewGuid():N}";

    [Fact]
    public void Describe_names_account_and_container()
    {
        var store = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, "models");
        Assert.Equal("blob://devstoreaccount1/models", store.Describe());
        Assert.Equal($"http://127.0.0.1:{azurite.Server.BlobPort}", store.Endpoint);
    }

    [Fact]
    public async Task Missing_container_reads_as_empty_and_is_created_by_a_write()
    {
        var store = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, NewContainer());

        Assert.Null(await store.ReadAsync("a/b.json"));
        Assert.False(await store.ExistsAsync("a/b.json"));
        Assert.False(await store.DeleteAsync("a/b.json"));
        Assert.Empty(await store.ListAsync(""));

        await store.WriteAsync("a/b.json", "{}"u8.ToArray());
        Assert.Equal("{}"u8.ToArray(), await store.ReadAsync("a/b.json"));
        await store.EnsureContainerAsync(); // idempotent
        await store.Container.DeleteAsync();
    }

    [Fact]
    public async Task Content_type_follows_the_extension()
    {
        var store = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, NewContainer());
        await store.WriteJsonAsync("r/results.json", new { ok = true });
        await store.WriteAsync("r/model.bin", new byte[BlobArtifactStore.BlockSize + 1]);

        Assert.Equal("application/json", (await store.Container.GetBlobClient("r/results.json").GetPropertiesAsync()).Value.ContentType);
        Assert.Equal("application/octet-stream", (await store.Container.GetBlobClient("r/model.bin").GetPropertiesAsync()).Value.ContentType);
        await store.Container.DeleteAsync();
    }

    [Fact]
    public void Bad_connection_string_is_invalid_input()
    {
        Assert.Throws<InvalidInputException>(() => BlobArtifactStore.FromConnectionString("not a connection string", "c"));
        Assert.Throws<InvalidInputException>(() => BlobArtifactStore.FromConnectionString("", "c"));
    }

    [Fact]
    public async Task Unreachable_endpoint_fails_within_seconds_naming_the_endpoint()
    {
        var port = AzuriteServer.FreePort(); // nothing listens there
        var connection = $"DefaultEndpointsProtocol=http;AccountName={AzuriteServer.AccountName};AccountKey={AzuriteServer.AccountKey};BlobEndpoint=http://127.0.0.1:{port}/{AzuriteServer.AccountName};";
        var store = BlobArtifactStore.FromConnectionString(connection, "models");

        var clock = Stopwatch.StartNew();
        var failures = await Task.WhenAll(new Func<Task>[]
        {
            () => store.ReadAsync("m/model.bin"),
            () => store.WriteAsync("m/model.bin", new byte[] { 1, 2, 3 }),
            () => store.WriteAsync("m/big.bin", new byte[BlobArtifactStore.BlockSize * 2]),
            () => store.ExistsAsync("m/model.bin"),
            () => store.DeleteAsync("m/model.bin"),
            () => store.ListAsync("m/"),
            () => store.EnsureContainerAsync(),
        }.Select(op => Assert.ThrowsAsync<IOException>(op)));
        clock.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        foreach (var ex in failures)
        {
            Assert.Contains($"127.0.0.1:{port}", ex.Message);
            Assert.Contains("blob://devstoreaccount1/models", ex.Message);
            Assert.Contains("unreachable", ex.Message);
        }
    }

    [Fact]
    public async Task Caller_cancellation_stays_a_cancellation()
    {
        var store = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, NewContainer());
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ReadAsync("a.bin", cancelled.Token));
    }
}

/// <summary>Azurite itself: stop and restart on the same ports, as a fault test will.</summary>
public sealed class AzuriteServerTests
{
    [Fact]
    public async Task Stopped_azurite_fails_fast_and_a_restart_on_the_same_ports_recovers()
    {
        var data = Path.Combine(Path.GetTempPath(), "distillery-azurite-tests", Guid.NewGuid().ToString("N"));
        try
        {
            await using var server = await AzuriteServer.StartNewAsync(dataDirectory: data);
            var store = BlobArtifactStore.FromConnectionString(server.ConnectionString, "models");
            await store.WriteAsync("m/model.bin", new byte[] { 1, 2, 3 });
            var ports = (server.BlobPort, server.QueuePort, server.TablePort);

            await server.StopAsync();
            Assert.False(server.IsRunning);
            var clock = Stopwatch.StartNew();
            var ex = await Assert.ThrowsAsync<IOException>(() => store.ReadAsync("m/model.bin"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
            Assert.Contains($"127.0.0.1:{server.BlobPort}", ex.Message);

            await server.StartAsync();
            Assert.True(server.IsRunning);
            Assert.Equal(ports, (server.BlobPort, server.QueuePort, server.TablePort));
            Assert.Equal([1, 2, 3], await store.ReadAsync("m/model.bin")); // the data directory survives
            await store.WriteAsync("m/model.bin", new byte[] { 4 });

            await server.RestartAsync();
            Assert.Equal([4], await store.ReadAsync("m/model.bin"));

            await server.KillAsync(); // a crash: recent writes may be lost, but the server comes back on its ports
            await Assert.ThrowsAsync<IOException>(() => store.ListAsync("m/"));
            await server.StartAsync();
            await store.WriteAsync("m/model.bin", new byte[] { 5 });
            Assert.Equal([5], await store.ReadAsync("m/model.bin"));
        }
        finally
        {
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task In_memory_azurite_starts_with_all_three_services()
    {
        await using var server = await AzuriteServer.StartNewAsync();
        Assert.Contains($"BlobEndpoint=http://127.0.0.1:{server.BlobPort}/devstoreaccount1;", server.ConnectionString);
        Assert.Contains($"QueueEndpoint=http://127.0.0.1:{server.QueuePort}/devstoreaccount1;", server.ConnectionString);
        Assert.Contains($"TableEndpoint=http://127.0.0.1:{server.TablePort}/devstoreaccount1;", server.ConnectionString);
        Assert.Equal(3, new[] { server.BlobPort, server.QueuePort, server.TablePort }.Distinct().Count());
    }

    [Fact]
    public void Missing_azurite_says_how_to_install_it()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new AzuriteServer(azuritePath: "/nonexistent/node_modules/.bin/azurite"));
        Assert.StartsWith(AzuriteServer.NotInstalledMessage, ex.Message);
    }
}
