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

    /// <summary>The steps the activities are built from, as services (one composition of them per host).</summary>
    public static IServiceCollection AddExperimentSteps(this IServiceCollection services, Func<IServiceProvider, ExperimentSteps> create) => services
        .AddSingleton(create)
        .AddSingleton(sp => sp.GetRequiredService<ExperimentSteps>().Prepare)
        .AddSingleton(sp => sp.GetRequiredService<ExperimentSteps>().TrainTeacher)
        .AddSingleton(sp => sp.GetRequiredService<ExperimentSteps>().TrainStudent)
        .AddSingleton(sp => sp.GetRequiredService<ExperimentSteps>().Summarize)
        .AddSingleton(sp => sp.GetRequiredService<ExperimentSteps>().Combine);

    /// <summary>Registers the orchestrators and activities (used by the CLI's in-process host and by tests).</summary>
    public static DurableTaskRegistry AddDistilleryTasks(this DurableTaskRegistry registry)
    {
        foreach (var orchestrator in Orchestrators) registry.AddOrchestrator(orchestrator);
        foreach (var activity in Activities) registry.AddActivity(activity);
        return registry;
    }
}
