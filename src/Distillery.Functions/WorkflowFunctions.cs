using Distillery.Experiments;
using Distillery.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Distillery.Functions;

/// <summary>
/// The durable orchestration and its activities as Functions. Hand-written wrappers (the [DurableTask] source
/// generator is not available here), one line each, over the very classes the CLI registers (DistilleryTasks); a test
/// checks that the two name the same tasks with the same types.
/// </summary>
public sealed class WorkflowFunctions(ExperimentSteps steps)
{
    [Function(nameof(ExperimentOrchestrator))]
    public Task<RunSummary> RunExperiment([OrchestrationTrigger] TaskOrchestrationContext context, ExperimentRequest request) =>
        new ExperimentOrchestrator().RunAsync(context, request);

    [Function(nameof(PrepareDatasetActivity))]
    public Task<PreparedDataset> PrepareDataset([ActivityTrigger] PrepareRequest input) => new PrepareDatasetActivity(steps).RunAsync(input);

    [Function(nameof(TrainTeacherActivity))]
    public Task<TrainedModel> TrainTeacher([ActivityTrigger] TrainRequest input) => new TrainTeacherActivity(steps).RunAsync(input);

    [Function(nameof(TrainStudentActivity))]
    public Task<TrainedModel> TrainStudent([ActivityTrigger] TrainRequest input) => new TrainStudentActivity(steps).RunAsync(input);

    [Function(nameof(SummarizeActivity))]
    public Task<RunSummary> Summarize([ActivityTrigger] SummarizeRequest input) => new SummarizeActivity(steps).RunAsync(input);

    [Function(nameof(CombineActivity))]
    public Task<RunSummary> Combine([ActivityTrigger] CombineRequest input) => new CombineActivity(steps).RunAsync(input);
}
