using Distillery.Experiments;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Distillery.Functions;

/// <summary>Scheduled retraining: a timer checks the watched datasets; new data starts one retraining orchestration.</summary>
public sealed class RetrainFunctions(DatasetWatcher watcher, IOptions<DistilleryOptions> options, IArtifactStore store)
{
    private readonly DistilleryOptions options = options.Value;

    [Function("RetrainOnNewData")]
    public Task<IReadOnlyList<WatchOutcome>> CheckWatchedDatasets(
        [TimerTrigger("%RETRAIN_SCHEDULE%", RunOnStartup = false)] TimerInfo timer,
        [DurableClient] DurableTaskClient client, CancellationToken ct) =>
        watcher.CheckAsync(client, options.WatchedDatasets, ct);

    [Function(nameof(RetrainOrchestrator))]
    public Task<ChampionDecision> Retrain([OrchestrationTrigger] TaskOrchestrationContext context, RetrainRequest request) =>
        new RetrainOrchestrator().RunAsync(context, request);

    [Function(nameof(DecideChampionActivity))]
    public Task<ChampionDecision> DecideChampion([ActivityTrigger] DecideRequest input) => new DecideChampionActivity(store).RunAsync(input);
}
