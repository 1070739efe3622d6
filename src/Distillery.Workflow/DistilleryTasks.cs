using Distillery.Experiments;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Distillery.Workflow;

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
