using System.Net;
using System.Net.Sockets;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Cli.Hosting;

/// <summary>
/// Runs the same durable orchestration as the Functions app, on Durable Task's in-process backend: no cloud, no
/// emulator. Artifacts go to the given store (a local folder by default, Blob Storage with --connection).
/// </summary>
public sealed class InProcessExperimentHost : IAsyncDisposable
{
    private readonly DurableTaskTestHost host;

    private InProcessExperimentHost(DurableTaskTestHost host, ExperimentSteps steps)
    {
        this.host = host;
        Steps = steps;
    }

    public DurableTaskClient Client => host.Client;
    public ExperimentSteps Steps { get; }
    public IServiceProvider Services => host.Services;

    /// <param name="parallel">Activities run at once. The in-memory backend itself never runs more than
    /// <see cref="Environment.ProcessorCount"/> (set DOTNET_PROCESSOR_COUNT to raise it).</param>
    public static async Task<InProcessExperimentHost> StartAsync(IArtifactStore store, DataSourceOptions dataOptions,
        int parallel, ITrainingObserver? observer = null, Action<IServiceCollection>? configure = null, CancellationToken ct = default)
    {
        var steps = new ExperimentSteps(store, dataOptions, observer);
        QuietHostLogging();
        var host = await DurableTaskTestHost.StartAsync(registry => registry.AddDistilleryTasks(), new DurableTaskTestHostOptions
        {
            Port = FreeLoopbackPort(),
            ConfigureServices = services =>
            {
                services.AddSingleton(steps);
                services.ConfigureAll<DurableTaskWorkerOptions>(o =>
                {
                    o.Concurrency.MaximumConcurrentActivityWorkItems = Math.Max(1, parallel);
                    o.Concurrency.MaximumConcurrentOrchestrationWorkItems = Math.Max(1, parallel);
                });
                configure?.Invoke(services);
            },
        }, ct);
        return new InProcessExperimentHost(host, steps);
    }

    public async Task<OrchestrationMetadata> RunAsync(ExperimentRequest request, Action<OrchestrationMetadata>? onStatus = null,
        CancellationToken ct = default)
    {
        var id = await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ExperimentOrchestrator), request,
            new StartOrchestrationOptions { InstanceId = request.RunId }, ct);
        while (true)
        {
            var state = await Client.GetInstanceAsync(id, getInputsAndOutputs: true, ct)
                        ?? throw new InvalidOperationException($"orchestration {id} vanished");
            onStatus?.Invoke(state);
            if (state.IsCompleted) return state;
            await Task.Delay(250, ct);
        }
    }

    /// <summary>The in-process backend's hosts log every gRPC call at Information; keep warnings and errors only.
    /// They read configuration from the environment, and an explicit setting wins.</summary>
    public static void QuietHostLogging()
    {
        if (Environment.GetEnvironmentVariable("Logging__LogLevel__Default") is null)
            Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}
