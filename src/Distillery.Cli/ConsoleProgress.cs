using Distillery.Experiments;
using Distillery.Models;
using Distillery.Training;
using Distillery.Workflow;
using Microsoft.DurableTask.Client;

namespace Distillery.Cli;

/// <summary>Plain progress lines: every tenth pass of each job, and each phase change of the orchestration.</summary>
public sealed class ConsoleProgress(TextWriter w, ExperimentSettings settings) : ITrainingObserver
{
    private readonly Lock gate = new();
    private string? phase;

    public void OnPass(string runId, ModelKind kind, int fold, PassReport pass)
    {
        var every = Math.Max(1, pass.Passes / 10);
        if (pass.Pass % every != 0 && pass.Pass != pass.Passes) return;
        lock (gate) w.WriteLine($"  {kind.Name(),-7} fold {fold}  pass {pass.Pass,4}/{pass.Passes}  train {pass.TrainLoss:0.0000}  test {pass.TestLoss:0.0000}");
    }

    public void OnStatus(OrchestrationMetadata state)
    {
        var progress = state.ReadCustomStatusAs<ExperimentProgress>();
        if (progress is null || progress.Phase == phase) return;
        phase = progress.Phase;
        lock (gate) w.WriteLine($"[{phase}] jobs {progress.JobsDone}/{progress.JobsTotal}");
    }
}
