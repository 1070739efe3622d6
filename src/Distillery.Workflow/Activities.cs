using Distillery.Experiments;
using Distillery.Experiments.Steps;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Workflow;

// Thin class-based activities, one per experiment step; the steps own the logic and the idempotency. Each also has
// RunAsync(input) without a durable context: the Functions app's activity functions call that, so both hosts run
// the same code.

public sealed class PrepareDatasetActivity(PrepareDatasetStep step) : TaskActivity<PrepareRequest, PreparedDataset>
{
    public override Task<PreparedDataset> RunAsync(TaskActivityContext context, PrepareRequest input) => RunAsync(input);
    public Task<PreparedDataset> RunAsync(PrepareRequest input) => step.RunAsync(input);
}

public sealed class TrainTeacherActivity(TrainTeacherStep step) : TaskActivity<TrainRequest, TrainedModel>
{
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) => RunAsync(input);
    // Task.Run: training is synchronous CPU work; it must not hold the worker's dispatch thread.
    public Task<TrainedModel> RunAsync(TrainRequest input) => Task.Run(() => step.RunAsync(input));
}

public sealed class TrainStudentActivity(TrainStudentStep step) : TaskActivity<TrainRequest, TrainedModel>
{
    public override Task<TrainedModel> RunAsync(TaskActivityContext context, TrainRequest input) => RunAsync(input);
    public Task<TrainedModel> RunAsync(TrainRequest input) => Task.Run(() => step.RunAsync(input));
}

public sealed class SummarizeActivity(SummarizeStep step) : TaskActivity<SummarizeRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, SummarizeRequest input) => RunAsync(input);
    public Task<RunSummary> RunAsync(SummarizeRequest input) => step.RunAsync(input);
}

public sealed class CombineActivity(CombineStep step) : TaskActivity<CombineRequest, RunSummary>
{
    public override Task<RunSummary> RunAsync(TaskActivityContext context, CombineRequest input) => RunAsync(input);
    public Task<RunSummary> RunAsync(CombineRequest input) => step.RunAsync(input);
}

