using Distillery.Experiments;
using Distillery.Experiments.Steps;
using Distillery.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Distillery.Functions;

/// <summary>
/// The durable orchestration and its activities as Functions. Hand-written wrappers (the [DurableTask] source
/// generator is not available here), one line each, over the very classes the CLI registers (DistilleryTasks); a test
/// checks that the two name the same tasks with the same types.
/// </summary>
public sealed class WorkflowFunctions(PrepareDatasetStep prepare, TrainTeacherStep trainTeacher, TrainStudentStep trainStudent,
    SummarizeStep summarize, CombineStep combine)
{
    [Function(nameof(ExperimentOrchestrator))]
    public Task<RunSummary> RunExperiment([OrchestrationTrigger] TaskOrchestrationContext context, ExperimentRequest request) =>
        new ExperimentOrchestrator().RunAsync(context, request);

    [Function(nameof(PrepareDatasetActivity))]
    public Task<PreparedDataset> PrepareDataset([ActivityTrigger] PrepareRequest input) => new PrepareDatasetActivity(prepare).RunAsync(input);

    [Function(nameof(TrainTeacherActivity))]
    public Task<TrainedModel> TrainTeacher([ActivityTrigger] TrainRequest input) => new TrainTeacherActivity(trainTeacher).RunAsync(input);

    [Function(nameof(TrainStudentActivity))]
    public Task<TrainedModel> TrainStudent([ActivityTrigger] TrainRequest input) => new TrainStudentActivity(trainStudent).RunAsync(input);

    [Function(nameof(SummarizeActivity))]
    public Task<RunSummary> Summarize([ActivityTrigger] SummarizeRequest input) => new SummarizeActivity(summarize).RunAsync(input);

    [Function(nameof(CombineActivity))]
    public Task<RunSummary> Combine([ActivityTrigger] CombineRequest input) => new CombineActivity(combine).RunAsync(input);
}
