using Distillery.Cli.Hosting;
using Distillery.Functions;
using Distillery.Storage;
using Distillery.Tests.Azurite;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Tests.Functions;

/// <summary>
/// The Functions app's own orchestrator and activity functions (found by <see cref="FunctionsTasks"/>) on Durable
/// Task's in-process backend, their classes built from the app's services (<see cref="DistilleryServices"/>, as in
/// Program.cs) over the given store and options. A function missing from the app is missing here.
/// </summary>
public static class FunctionsHost
{
    public static async Task<DurableTaskTestHost> StartAsync(IArtifactStore store, DistilleryOptions options, int parallel = 2)
    {
        InProcessExperimentHost.QuietHostLogging();
        DurableTaskTestHost? host = null;
        host = await DurableTaskTestHost.StartAsync(
            registry => FunctionsTasks.Register(registry, typeof(WorkflowFunctions).Assembly,
                () => host?.Services ?? throw new InvalidOperationException("a task ran before the test host had started")),
            new DurableTaskTestHostOptions
            {
                Port = AzuriteServer.FreePort(),
                ConfigureServices = services =>
                {
                    services.AddDistillery();
                    // Instead of the app settings' storage account and options: the test's (the last registration wins).
                    services.AddSingleton(options);
                    services.AddSingleton(store);
                    // host.json's maxConcurrentActivityFunctions.
                    services.ConfigureAll<DurableTaskWorkerOptions>(o =>
                    {
                        o.Concurrency.MaximumConcurrentActivityWorkItems = parallel;
                        o.Concurrency.MaximumConcurrentOrchestrationWorkItems = parallel;
                    });
                },
            });
        return host;
    }
}
