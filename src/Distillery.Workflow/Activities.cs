using Distillery.Experiments;
using Microsoft.DurableTask;

namespace Distillery.Workflow;

// Thin class-based activities over the experiment steps; the steps own the logic and the idempotency. Each also has
// RunAsync(input) without a durable context: the Functions app's activity functions call that, so both hosts run
// the same code.

public sealed class PrepareDatasetActivity(ExperimentSteps steps) : TaskActivity<PrepareRequest, PreparedDataset>
{
    public override Task<PreparedDataset> RunAsync(TaskActivityContext context, PrepareRequest input) => RunAsync(input);
    public Task<PreparedDataset> RunAsync(PrepareRequest input) => steps.PrepareAsync(input);
}

public sealed class TrainTeacherActivity(ExperimentSteps steps) : TaskActivity<TrainRequest, TrainedModel>
{
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) => RunAsync(input);
    // Task.Run: training is synchronous CPU work; it must not hold the worker's dispatch thread.
    public Task<TrainedModel> RunAsync(TrainRequest input) => Task.Run(() => steps.TrainTeacherAsync(input));
}

public sealed class TrainStudentActivity(ExperimentSteps steps) : TaskActivity<TrainRequest, TrainedModel>
{
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) => RunAsync(input);
    public Task<TrainedModel> RunAsync(TrainRequest input) => Task.Run(() => steps.TrainStudentAsync(input));
}

public sealed class SummarizeActivity(ExperimentSteps steps) : TaskActivity<SummarizeRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, SummarizeRequest input) => RunAsync(input);
    public Task<RunSummary> RunAsync(SummarizeRequest input) => steps.SummarizeAsync(input);
}

public sealed class CombineActivity(ExperimentSteps steps) : TaskActivity<CombineRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, CombineRequest input) => RunAsync(input);
    public Task<RunSummary> RunAsync(CombineRequest input) => steps.CombineAsync(input);
}

public static class DistilleryTasks
{
    /// <summary>The workflow's orchestrators (TaskOrchestrator&lt;TInput, TOutput&gt;).</summary>
    public static IReadOnlyList<Type> Orchestrators { get; } = [typeof(ExperimentOrchestrator), typeof(RetrainOrchestrator)];

    /// <summary>The workflow's activities (TaskActivity&lt;TInput, TOutput&gt;).</summary>
    public static IReadOnlyList<Type> Activities { get; } =
    [
        typeof(PrepareDatasetActivity), typeof(TrainTeacherActivity), typeof(TrainStudentActivity), typeof(SummarizeActivity),
        typeof(CombineActivity), typeof(DecideChampionActivity),
    ];

    /// <summary>Registers the orchestrators and activities (used by the CLI's in-process host and by tests).</summary>
    public static DurableTaskRegistry AddDistilleryTasks(this DurableTaskRegistry registry)
    {
        foreach (var orchestrator in Orchestrators) registry.AddOrchestrator(orchestrator);
        foreach (var activity in Activities) registry.AddActivity(activity);
        return registry;
    }
}
