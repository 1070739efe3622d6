using Distillery.Experiments;
using Distillery.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Distillery.Functions;

/// <summary>
/// The durable orchestration and its activities as Functions. Hand-written wrappers (the [DurableTask] source
/// generator is not available here) over the host-neutral workflow: the logic lives in Distillery.Workflow and
/// Distillery.Core, and the CLI runs the very same orchestrator class.
/// </summary>
public sealed class WorkflowFunctions(ExperimentSteps steps)
{
    [Function(nameof(ExperimentOrchestrator))]
    public Task<RunSummary> RunExperiment([OrchestrationTrigger] TaskOrchestrationContext context) =>
        new ExperimentOrchestrator().RunAsync(context, context.GetInput<ExperimentRequest>()!);

    [Function(nameof(PrepareDatasetActivity))]
    public Task<PreparedDataset> PrepareDataset([ActivityTrigger] PrepareRequest input) => steps.PrepareAsync(input);

    [Function(nameof(TrainTeacherActivity))]
    public Task<TrainedModel> TrainTeacher([ActivityTrigger] TrainRequest input) => Task.Run(() => steps.TrainTeacherAsync(input));

    [Function(nameof(TrainStudentActivity))]
    public Task<TrainedModel> TrainStudent([ActivityTrigger] TrainRequest input) => Task.Run(() => steps.TrainStudentAsync(input));

    [Function(nameof(SummarizeActivity))]
    public Task<RunSummary> Summarize([ActivityTrigger] SummarizeRequest input) => steps.SummarizeAsync(input);
}
