using Distillery.Functions;
using Distillery.Hosting;
using Distillery.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>
/// The Functions app's own orchestrator and activity functions (found by <see cref="FunctionsTasks"/>) on a durable
/// backend (in memory, or the Azure Storage provider on Azurite), their classes built from the app's services
/// (<see cref="DistilleryServices"/>, as in Program.cs) over the given store and options. A function missing from the
/// app is missing here.
/// </summary>
public static class FunctionsHost
{
    /// <param name="parallel">host.json's maxConcurrentActivityFunctions.</param>
    public static async Task<DurableHost> StartAsync(IArtifactStore store, DistilleryOptions options, int parallel = 2,
        DurableBackend? backend = null)
    {
        DurableHost? host = null;
        host = await DurableHost.StartAsync(new DurableHostOptions
        {
            Backend = backend ?? new DurableBackend.InMemory(),
            Parallel = parallel,
            Tasks = registry => FunctionsTasks.Register(registry, typeof(WorkflowFunctions).Assembly,
                () => host?.Services ?? throw new InvalidOperationException("a task ran before the host had started")),
            ConfigureServices = services =>
            {
                services.AddDistillery();
                // Instead of the app settings' storage account and options: the test's (the last registration wins).
                services.AddSingleton(Options.Create(options));
                services.AddSingleton(store);
            },
        });
        return host;
    }
}
