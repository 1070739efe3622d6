using Distillery.Data;
using Distillery.Experiments.Steps;
using Distillery.Storage;

namespace Distillery.Experiments;

/// <summary>
/// The experiment's steps over one store, wired together: prepare → train teacher per fold → (the orchestrator
/// selects the teacher) → train student(s) and FNN per fold → summarize, and combine for a run of several
/// experiments. Each step lives in its own class (Experiments/Steps); this only composes them, for the hosts.
/// </summary>
public sealed class ExperimentSteps
{
    public ExperimentSteps(IArtifactStore store, DataSourceOptions dataOptions, ITrainingObserver? observer = null)
    {
        Store = store;
        Prepare = new PrepareDatasetStep(store, dataOptions);
        var training = new ModelTraining(store, Prepare, observer);
        TrainTeacher = new TrainTeacherStep(training);
        TrainStudent = new TrainStudentStep(training, TrainTeacher);
        Summarize = new SummarizeStep(store);
        Combine = new CombineStep(store);
    }

    public IArtifactStore Store { get; }
    public PrepareDatasetStep Prepare { get; }
    public TrainTeacherStep TrainTeacher { get; }
    public TrainStudentStep TrainStudent { get; }
    public SummarizeStep Summarize { get; }
    public CombineStep Combine { get; }
}
