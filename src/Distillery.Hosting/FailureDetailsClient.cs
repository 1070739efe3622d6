using DurableTask.Core;
using DurableTask.Core.Query;

namespace Distillery.Hosting;

/// <summary>
/// The backend's client as the sidecar serves it, with a failed orchestration's failure details restored: the Azure
/// Storage provider keeps them only as the instance's output, "ErrorType: message" (see
/// <see cref="WorkerOrchestrationService"/>), and returns no <see cref="FailureDetails"/>, so without this a failed run
/// would not say why, nor whether it was bad input.
/// </summary>
public sealed class FailureDetailsClient(IOrchestrationServiceClient inner)
    : IOrchestrationServiceClient, IOrchestrationServiceQueryClient, IOrchestrationServicePurgeClient
{
    public static OrchestrationState? WithFailureDetails(OrchestrationState? state)
    {
        if (state is not { OrchestrationStatus: OrchestrationStatus.Failed, FailureDetails: null, Output: { Length: > 0 } output }) return state;
        var colon = output.IndexOf(": ", StringComparison.Ordinal);
        var type = colon > 0 && !output[..colon].Contains(' ') ? output[..colon] : "";
        state.FailureDetails = new FailureDetails(type, type.Length > 0 ? output[(colon + 2)..] : output, stackTrace: null,
            innerFailure: null, isNonRetriable: false);
        return state;
    }

    public async Task<OrchestrationState> GetOrchestrationStateAsync(string instanceId, string executionId) =>
        WithFailureDetails(await inner.GetOrchestrationStateAsync(instanceId, executionId))!;

    public async Task<IList<OrchestrationState>> GetOrchestrationStateAsync(string instanceId, bool allExecutions) =>
        (await inner.GetOrchestrationStateAsync(instanceId, allExecutions)).Select(s => WithFailureDetails(s)!).ToList();

    public async Task<OrchestrationState> WaitForOrchestrationAsync(string instanceId, string executionId, TimeSpan timeout,
        CancellationToken cancellationToken) =>
        WithFailureDetails(await inner.WaitForOrchestrationAsync(instanceId, executionId, timeout, cancellationToken))!;

    public async Task<OrchestrationQueryResult> GetOrchestrationWithQueryAsync(OrchestrationQuery query, CancellationToken cancellationToken)
    {
        var result = await Query.GetOrchestrationWithQueryAsync(query, cancellationToken);
        foreach (var state in result.OrchestrationState) WithFailureDetails(state);
        return result;
    }

    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage) => inner.CreateTaskOrchestrationAsync(creationMessage);
    public Task CreateTaskOrchestrationAsync(TaskMessage creationMessage, OrchestrationStatus[] dedupeStatuses) =>
        inner.CreateTaskOrchestrationAsync(creationMessage, dedupeStatuses);
    public Task SendTaskOrchestrationMessageAsync(TaskMessage message) => inner.SendTaskOrchestrationMessageAsync(message);
    public Task SendTaskOrchestrationMessageBatchAsync(params TaskMessage[] messages) => inner.SendTaskOrchestrationMessageBatchAsync(messages);
    public Task ForceTerminateTaskOrchestrationAsync(string instanceId, string reason) => inner.ForceTerminateTaskOrchestrationAsync(instanceId, reason);
    public Task<string> GetOrchestrationHistoryAsync(string instanceId, string executionId) => inner.GetOrchestrationHistoryAsync(instanceId, executionId);
    public Task PurgeOrchestrationHistoryAsync(DateTime thresholdDateTimeUtc, OrchestrationStateTimeRangeFilterType timeRangeFilterType) =>
        inner.PurgeOrchestrationHistoryAsync(thresholdDateTimeUtc, timeRangeFilterType);
    public Task<PurgeResult> PurgeInstanceStateAsync(string instanceId) => Purge.PurgeInstanceStateAsync(instanceId);
    public Task<PurgeResult> PurgeInstanceStateAsync(PurgeInstanceFilter purgeInstanceFilter) => Purge.PurgeInstanceStateAsync(purgeInstanceFilter);

    private IOrchestrationServiceQueryClient Query => inner as IOrchestrationServiceQueryClient
        ?? throw new NotSupportedException($"{inner.GetType().Name} cannot query instances");
    private IOrchestrationServicePurgeClient Purge => inner as IOrchestrationServicePurgeClient
        ?? throw new NotSupportedException($"{inner.GetType().Name} cannot purge instances");
}
