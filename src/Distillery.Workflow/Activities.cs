using Distillery.Experiments;
using Microsoft.DurableTask;

namespace Distillery.Workflow;

// Thin class-based activities over the experiment steps; the steps own the logic and the idempotency.

public sealed class PrepareDatasetActivity(ExperimentSteps steps) : TaskActivity<PrepareRequest, PreparedDataset>
{
    public override Task<PreparedDataset> RunAsync(TaskActivityContext context, PrepareRequest input) => steps.PrepareAsync(input);
}

public sealed class TrainTeacherActivity(ExperimentSteps steps) : TaskActivity<TrainRequest, TrainedModel>
{
    // Task.Run: training is synchronous CPU work; it must not hold the worker's dispatch thread.
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) =>
        Task.Run(() => steps.TrainTeacherAsync(input));
}

public sealed class TrainStudentActivity(ExperimentSteps steps) : TaskActivity<TrainRequest, TrainedModel>
{
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) =>
        Task.Run(() => steps.TrainStudentAsync(input));
}

public sealed class SummarizeActivity(ExperimentSteps steps) : TaskActivity<SummarizeRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, SummarizeRequest input) => steps.SummarizeAsync(input);
}

public sealed class CombineActivity(ExperimentSteps steps) : TaskActivity<CombineRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, CombineRequest input) => steps.CombineAsync(input);
}

public static class DistilleryTasks
{
    /// <summary>Registers the orchestrator and its activities (used by the CLI's in-process host and by tests).</summary>
    public static DurableTaskRegistry AddDistilleryTasks(this DurableTaskRegistry registry) => registry
        .AddOrchestrator<ExperimentOrchestrator>()
        .AddActivity<PrepareDatasetActivity>()
        .AddActivity<TrainTeacherActivity>()
        .AddActivity<TrainStudentActivity>()
        .AddActivity<SummarizeActivity>()
        .AddActivity<CombineActivity>()
        .AddOrchestrator<RetrainOrchestrator>()
        .AddActivity<DecideChampionActivity>();
}
