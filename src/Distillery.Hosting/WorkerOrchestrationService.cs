using System.Collections.Concurrent;
using DurableTask.Core;
using DurableTask.Core.History;

namespace Distillery.Hosting;

/// <summary>
/// The durable backend as one worker process sees it. Wraps the backend's <see cref="IOrchestrationService"/> to do
/// what the gRPC sidecar's dispatcher does not: cap the activities run at once (<c>--parallel</c>), renew the lock of
/// every running activity (a training job outlives the work-item visibility timeout; unrenewed, another worker would
/// take it over while it still runs), and drain on shutdown — stop taking work, let running work finish within a
/// grace period, then abandon what is left so that another worker takes it at once. The cap is a semaphore taken
/// before each fetch and given back the moment an activity ends: the sidecar's dispatcher, when it is the one at its
/// cap, polls for a free slot every 500 ms, and a run of short jobs would lose a quarter of a second per job.
/// </summary>
public sealed class WorkerOrchestrationService(IOrchestrationService inner, int maxActivities, TimeSpan renewEvery)
    : IOrchestrationService
{
    private readonly ConcurrentDictionary<TaskActivityWorkItem, CancellationTokenSource> activities = new();
    private readonly ConcurrentDictionary<TaskOrchestrationWorkItem, byte> orchestrations = new();
    private readonly CancellationTokenSource draining = new();
    private readonly SemaphoreSlim slots = new(maxActivities, maxActivities);

    /// <summary>Work items (activities and orchestration episodes) this process holds right now.</summary>
    public int InFlight => activities.Count + orchestrations.Count;

    public bool IsDraining => draining.IsCancellationRequested;

    /// <summary>Stops taking work, waits up to <paramref name="grace"/> for running work, then abandons what is left
    /// (its messages become visible to other workers at once). Returns the number of activities abandoned.</summary>
    public async Task<int> DrainAsync(TimeSpan grace)
    {
        await draining.CancelAsync();
        var deadline = DateTime.UtcNow + grace;
        while (InFlight > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        var abandoned = 0;
        foreach (var item in activities.Keys)
        {
            if (!activities.TryRemove(item, out var renewal)) continue;
            await StopRenewingAsync(renewal);
            await inner.AbandonTaskActivityWorkItemAsync(item);
            slots.Release();
            abandoned++;
        }
        return abandoned;
    }

    public async Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        if (IsDraining) return await Idle<TaskActivityWorkItem>(receiveTimeout, cancellationToken);
        // A free slot first (released the moment an activity ends), then the work: never more than the cap at once.
        if (!await slots.WaitAsync(SlotWait(receiveTimeout), cancellationToken)) return null!;
        TaskActivityWorkItem? item = null;
        try
        {
            item = await inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);
            if (item is null) return null!;
            if (IsDraining)
            {
                await inner.AbandonTaskActivityWorkItemAsync(item);
                item = null;
                return null!;
            }
            var renewal = new CancellationTokenSource();
            activities[item] = renewal;
            _ = RenewAsync(item, renewal.Token);
            return item;
        }
        finally
        {
            if (item is null) slots.Release();
        }
    }

    private async Task RenewAsync(TaskActivityWorkItem item, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(renewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                try { await inner.RenewTaskActivityWorkItemLockAsync(item); }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // Storage hiccup: the next tick tries again, well before the lock runs out.
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private static async Task StopRenewingAsync(CancellationTokenSource renewal)
    {
        await renewal.CancelAsync();
        renewal.Dispose();
    }

    public async Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage)
    {
        if (!activities.TryRemove(workItem, out var renewal)) return; // abandoned while it ran: another worker has it now
        slots.Release();
        await StopRenewingAsync(renewal);
        await inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);
    }

    public async Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem)
    {
        if (!activities.TryRemove(workItem, out var renewal)) return;
        slots.Release();
        await StopRenewingAsync(renewal);
        await inner.AbandonTaskActivityWorkItemAsync(workItem);
    }

    /// <summary>How long a fetch waits for a free slot: the sidecar asks with an infinite timeout, which is fine (the
    /// wait ends with a slot or with the dispatcher's cancellation).</summary>
    private static TimeSpan SlotWait(TimeSpan receiveTimeout) => receiveTimeout < TimeSpan.Zero ? Timeout.InfiniteTimeSpan : receiveTimeout;

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) =>
        inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public async Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken)
    {
        if (IsDraining) return await Idle<TaskOrchestrationWorkItem>(receiveTimeout, cancellationToken);
        var item = await inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);
        if (item is not null) orchestrations[item] = 0;
        return item!;
    }

    public Task CompleteTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem, OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages, IList<TaskMessage> orchestratorMessages, IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage, OrchestrationState orchestrationState)
    {
        KeepFailureDetails(newOrchestrationRuntimeState, orchestrationState);
        foreach (var message in outboundMessages.Concat(orchestratorMessages).Concat(timerMessages)) PlainTags(message.Event);
        foreach (var e in newOrchestrationRuntimeState.NewEvents) PlainTags(e);
        PlainEvents(newOrchestrationRuntimeState);
        return inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages,
            timerMessages, continuedAsNewMessage, orchestrationState);
    }

    /// <summary>The sidecar records a sub-orchestration's creation as its own subclass of the history event, which the
    /// Azure Storage provider (it serializes [DataContract] types) stores as an empty row: the parent's history could
    /// not be read back once it left the provider's cache. Store the plain event instead.</summary>
    private static void PlainEvents(OrchestrationRuntimeState runtime)
    {
        foreach (var events in new[] { runtime.Events, runtime.NewEvents })
            for (var i = 0; i < events.Count; i++)
                if (events[i] is SubOrchestrationInstanceCreatedEvent created && created.GetType() != typeof(SubOrchestrationInstanceCreatedEvent))
                    events[i] = new SubOrchestrationInstanceCreatedEvent(created.EventId)
                    {
                        Name = created.Name, Version = created.Version, InstanceId = created.InstanceId, Input = created.Input,
                        Tags = created.Tags, Timestamp = created.Timestamp, IsPlayed = created.IsPlayed,
                    };
    }

    /// <summary>The sidecar passes tags on as protobuf maps; the Azure Storage provider stores messages with their .NET
    /// type names and cannot read a protobuf map back (a sub-orchestration's start message would never be processed).</summary>
    private static void PlainTags(HistoryEvent e)
    {
        static IDictionary<string, string>? Plain(IDictionary<string, string>? tags) =>
            tags is null or Dictionary<string, string> ? tags : new Dictionary<string, string>(tags);
        switch (e)
        {
            case ExecutionStartedEvent started: started.Tags = Plain(started.Tags); break;
            case SubOrchestrationInstanceCreatedEvent created: created.Tags = Plain(created.Tags); break;
            case TaskScheduledEvent scheduled: scheduled.Tags = Plain(scheduled.Tags); break;
        }
    }

    /// <summary>
    /// The sidecar records a failed orchestration's completion without its failure details (they travel only in the
    /// <see cref="OrchestrationState"/>, which the in-memory backend keeps and the Azure Storage provider rebuilds from
    /// history): put them into the history's completion event, so a failed run says why on every backend.
    /// </summary>
    private static void KeepFailureDetails(OrchestrationRuntimeState runtime, OrchestrationState? state)
    {
        if (state?.FailureDetails is not { } failure) return;
        foreach (var events in new[] { runtime.Events, runtime.NewEvents })
            for (var i = 0; i < events.Count; i++)
                if (events[i] is ExecutionCompletedEvent { FailureDetails: null } completed)
                    events[i] = new ExecutionCompletedEvent(completed.EventId, completed.Result ?? failure.ErrorMessage,
                        completed.OrchestrationStatus, failure) { Timestamp = completed.Timestamp };
    }

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public async Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem)
    {
        try { await inner.ReleaseTaskOrchestrationWorkItemAsync(workItem); }
        finally { orchestrations.TryRemove(workItem, out _); }
    }

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    /// <summary>What a fetch returns while draining: nothing, after the usual wait (the dispatcher polls again).</summary>
    private static async Task<T> Idle<T>(TimeSpan timeout, CancellationToken ct) where T : class
    {
        var wait = timeout >= TimeSpan.Zero && timeout < TimeSpan.FromSeconds(1) ? timeout : TimeSpan.FromSeconds(1); // the sidecar asks with an infinite timeout
        try { await Task.Delay(wait, ct); }
        catch (OperationCanceledException) { }
        return null!;
    }

    /// <summary>What the sidecar's dispatcher sees: more than this process ever runs, so it never throttles (by polling)
    /// itself; the cap is <see cref="slots"/>.</summary>
    public int MaxConcurrentTaskActivityWorkItems => int.MaxValue;
    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;
    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;
    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;
    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;
    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);
    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);
    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task StartAsync() => inner.StartAsync();
    // Once: the sidecar stops the service after its dispatchers, and the host stops it at once to release leases.
    public Task StopAsync() => StopAsync(isForced: false);
    public Task StopAsync(bool isForced) => Interlocked.Exchange(ref stopped, 1) == 0 ? inner.StopAsync(isForced) : Task.CompletedTask;
    private int stopped;
    public Task CreateAsync() => inner.CreateAsync();
    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);
    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();
    public Task DeleteAsync() => inner.DeleteAsync();
    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

}
