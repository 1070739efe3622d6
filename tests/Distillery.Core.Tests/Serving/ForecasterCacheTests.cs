using Distillery.Models;
using Distillery.Serving;
using Distillery.Storage;
using Distillery.Tests.Experiments;
using static TorchSharp.torch;

namespace Distillery.Tests.Serving;

/// <summary>The serving cache is bounded and frees the native models it evicts.</summary>
[Collection(ServingRunCollection.Name)]
public class ForecasterCacheTests(ServingRunFixture run)
{
    /// <summary>Copies of the fixture's run under other ids: each a separate model for the cache.</summary>
    private async Task<IArtifactStore> StoreWithRunsAsync(TempDir dir, params string[] runIds)
    {
        var store = new LocalDirectoryStore(dir.Path);
        var prefix = $"runs/{ServingRunFixture.RunId}/";
        foreach (var path in await run.Store.ListAsync(prefix))
        {
            var bytes = (await run.Store.ReadAsync(path))!;
            foreach (var id in runIds) await store.WriteAsync($"runs/{id}/{path[prefix.Length..]}", bytes);
        }
        return store;
    }

    private static List<Tensor> Parameters(Forecaster f)
    {
        var parameters = f.Module.parameters().Cast<Tensor>().ToList();
        Assert.All(parameters, p => Assert.False(p.IsInvalid)); // allocated while the model is in use
        return parameters;
    }

    private static void AssertFreed(Forecaster f, List<Tensor> parameters)
    {
        Assert.True(f.IsDisposed);
        Assert.NotEmpty(parameters);
        Assert.All(parameters, p => Assert.True(p.IsInvalid, "a parameter tensor of the evicted model is still allocated"));
    }

    [Fact]
    public async Task The_least_recently_used_model_is_evicted_and_its_module_disposed()
    {
        using var dir = new TempDir();
        var store = await StoreWithRunsAsync(dir, "a", "b", "c");
        using var cache = new ForecasterCache(store, capacity: 2);
        var rows = run.Last(10);

        Forecaster a, b;
        using (var lease = await cache.RentAsync("a", ModelKind.Student, default)) a = lease.Forecaster;
        var aParameters = Parameters(a);
        using (var lease = await cache.RentAsync("b", ModelKind.Student, default)) b = lease.Forecaster;
        using (var lease = await cache.RentAsync("a", ModelKind.Student, default)) Assert.Same(a, lease.Forecaster); // a is now the most recent
        Assert.Equal(2, cache.Count);

        var bParameters = Parameters(b);
        using (var lease = await cache.RentAsync("c", ModelKind.Student, default)) lease.Forecaster.Predict(rows);
        Assert.Equal(2, cache.Count);
        AssertFreed(b, bParameters); // the least recently used
        Assert.False(a.IsDisposed);
        a.Predict(rows);

        using (var lease = await cache.RentAsync("b", ModelKind.Student, default)) // b was evicted: loaded again, a goes
        {
            Assert.NotSame(b, lease.Forecaster);
            lease.Forecaster.Predict(rows);
        }
        Assert.Equal(2, cache.Count);
        AssertFreed(a, aParameters);
    }

    [Fact]
    public async Task A_model_evicted_while_a_request_uses_it_is_disposed_when_the_request_returns_it()
    {
        using var dir = new TempDir();
        var store = await StoreWithRunsAsync(dir, "a", "b");
        using var cache = new ForecasterCache(store, capacity: 1);
        var rows = run.Last(10);

        var held = await cache.RentAsync("a", ModelKind.Teacher, default);
        var parameters = Parameters(held.Forecaster);
        using (var other = await cache.RentAsync("b", ModelKind.Teacher, default)) other.Forecaster.Predict(rows);
        Assert.Equal(1, cache.Count);
        held.Forecaster.Predict(rows); // evicted from the cache, still usable by the request that holds it
        Assert.False(held.Forecaster.IsDisposed);

        held.Dispose();
        AssertFreed(held.Forecaster, parameters);
        held.Dispose(); // returning twice is harmless
    }

    [Fact]
    public async Task Concurrent_requests_for_more_models_than_fit_all_succeed_and_the_cache_stays_bounded()
    {
        using var dir = new TempDir();
        string[] ids = ["a", "b", "c", "d"];
        var store = await StoreWithRunsAsync(dir, ids);
        using var cache = new ForecasterCache(store, capacity: 2);
        var rows = run.Last(10);
        var maxCount = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 6; i++)
            {
                using var lease = await cache.RentAsync(ids[(worker + i) % ids.Length], ModelKind.Student, default);
                Assert.Equal(14, lease.Forecaster.Predict(rows).Days.Count); // never a disposed model
                var count = cache.Count;
                Assert.InRange(count, 1, cache.Capacity);
                InterlockedMax(ref maxCount, count);
            }
        })));
        Assert.Equal(2, maxCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
    }
}
