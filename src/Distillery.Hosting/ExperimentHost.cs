using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Hosting;

/// <summary>
/// The experiment orchestration on a durable backend, as the CLI, its workers and the tests run it: the Workflow's
/// orchestrators and activities over the experiment steps, artifacts in the given store (a local folder, or Blob
/// Storage with --connection).
/// </summary>
public sealed class ExperimentHost : IAsyncDisposable
{
    private ExperimentHost(DurableHost durable, ExperimentSteps steps)
    {
        Durable = durable;
        Steps = steps;
    }

    public DurableHost Durable { get; }
    public DurableTaskClient Client => Durable.Client;
    public ExperimentSteps Steps { get; }
    public IServiceProvider Services => Durable.Services;

    /// <param name="parallel">Activities this process runs at once.</param>
    /// <param name="dispatch">false: schedule and query only; other workers do the work.</param>
    public static async Task<ExperimentHost> StartAsync(IArtifactStore store, DataSourceOptions dataOptions, int parallel,
        ITrainingObserver? observer = null, Action<IServiceCollection>? configure = null, DurableBackend? backend = null,
        bool dispatch = true, CancellationToken ct = default)
    {
        var steps = new ExperimentSteps(store, dataOptions, observer);
        var durable = await DurableHost.StartAsync(new DurableHostOptions
        {
            Backend = backend ?? new DurableBackend.InMemory(),
            Tasks = registry => registry.AddDistilleryTasks(),
            Parallel = parallel,
            Dispatch = dispatch,
            ConfigureServices = services =>
            {
                services.AddSingleton(store).AddExperimentSteps(_ => steps);
                configure?.Invoke(services);
            },
        }, ct);
        return new ExperimentHost(durable, steps);
    }

    /// <summary>Schedules the run unless the backend already has it pending or running (then this process joins it:
    /// a durable resume, from the stored history). A failed or terminated run starts again; its finished steps are
    /// reused from storage. Returns the instance's state before scheduling, if any.</summary>
    public async Task<OrchestrationMetadata?> ScheduleAsync(ExperimentRequest request, CancellationToken ct = default)
    {
        var existing = await Client.GetInstanceAsync(request.RunId, ct);
        if (existing is { RuntimeStatus: OrchestrationRuntimeStatus.Pending or OrchestrationRuntimeStatus.Running
                          or OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Suspended })
            return existing;
        if (existing is not null) await Client.PurgeInstanceAsync(request.RunId, cancellation: ct);
        await Client.ScheduleNewOrchestrationInstanceAsync(nameof(ExperimentOrchestrator), request,
            new StartOrchestrationOptions { InstanceId = request.RunId }, ct);
        return existing;
    }

    /// <summary>Polls the run until it ends, reporting its state each time. A backend that cannot be reached (storage
    /// down, say) is a transient fault: polling goes on — the workers retry too — and gives up only after
    /// <paramref name="patience"/> (default 5 minutes) without an answer.</summary>
    public async Task<OrchestrationMetadata> WaitAsync(string runId, Action<OrchestrationMetadata>? onStatus = null,
        CancellationToken ct = default, TimeSpan? patience = null)
    {
        var poll = Durable.Backend is DurableBackend.InMemory ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(1);
        var limit = patience ?? TimeSpan.FromMinutes(5);
        DateTime? unreachableSince = null;
        // The backend's own wait returns the moment the run ends: it wakes the loop early, so the end is seen at once
        // rather than at the next poll. A wait that ended without the run's end (the backend unreachable) is started again.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task? ended = null;
        try
        {
            while (true)
            {
                OrchestrationMetadata? state;
                try
                {
                    state = await Client.GetInstanceAsync(runId, getInputsAndOutputs: true, ct);
                    unreachableSince = null;
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    unreachableSince ??= DateTime.UtcNow;
                    if (DateTime.UtcNow - unreachableSince > limit)
                        throw new IOException($"{Durable.Backend.Describe()} unreachable for {limit.TotalSeconds:0} s: {e.Message}", e);
                    await Task.Delay(poll, ct);
                    continue;
                }
                if (state is null) throw new InvalidOperationException($"orchestration {runId} vanished");
                onStatus?.Invoke(state);
                if (state.IsCompleted) return state;
                if (ended is null || ended.IsCompleted)
                {
                    _ = ended?.Exception; // observed: the polls report an unreachable backend
                    ended = Client.WaitForInstanceCompletionAsync(runId, getInputsAndOutputs: false, waiting.Token);
                }
                var next = Task.Delay(poll, ct);
                // A failed wait does not cut the poll short: the loop never spins on a backend that refuses it.
                if (await Task.WhenAny(ended, next) == ended && !ended.IsCompletedSuccessfully) await next;
            }
        }
        finally
        {
            waiting.Cancel();
            _ = ended?.ContinueWith(t => t.Exception, TaskScheduler.Default);
        }
    }

    public async Task<OrchestrationMetadata> RunAsync(ExperimentRequest request, Action<OrchestrationMetadata>? onStatus = null,
        CancellationToken ct = default)
    {
        await ScheduleAsync(request, ct);
        return await WaitAsync(request.RunId, onStatus, ct);
    }

    public ValueTask DisposeAsync() => Durable.DisposeAsync();
}
