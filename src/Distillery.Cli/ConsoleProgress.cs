using System.Collections.Concurrent;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Training;
using Distillery.Workflow;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Distillery.Cli;

/// <summary>Shows a run's progress: training passes of every job and the orchestration's phase.</summary>
public interface IRunProgress : ITrainingObserver
{
    void OnStatus(OrchestrationMetadata state);
}

/// <summary>Plain lines for logs and redirected output: every tenth pass of each job, and each phase change.</summary>
public sealed class PlainProgress(TextWriter w) : IRunProgress
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

/// <summary>Live progress bars on a terminal: one for the run's phase, one per training job (pass and losses).</summary>
public sealed class SpectreProgress(ProgressContext context) : IRunProgress
{
    private readonly ConcurrentDictionary<(ModelKind Kind, int Fold), ProgressTask> jobs = new();
    private readonly ProgressTask run = context.AddTask("[bold]prepare[/]", maxValue: 1);

    public void OnPass(string runId, ModelKind kind, int fold, PassReport pass)
    {
        var task = jobs.GetOrAdd((kind, fold), key => context.AddTask(Label(key.Kind, key.Fold), maxValue: pass.Passes));
        task.Value = pass.Pass;
        task.Description = $"{Label(kind, fold)} [grey]train[/] {pass.TrainLoss,8:0.0000} [grey]test[/] {pass.TestLoss,8:0.0000}";
    }

    public void OnStatus(OrchestrationMetadata state)
    {
        if (state.ReadCustomStatusAs<ExperimentProgress>() is not { } progress) return;
        run.MaxValue = progress.JobsTotal;
        run.Value = progress.JobsDone;
        run.Description = $"[bold]{progress.Phase}[/] folds {progress.FoldsDone}/{progress.FoldsTotal}";
        if (state.IsCompleted) run.Value = run.MaxValue;
    }

    private static string Label(ModelKind kind, int fold) => $"{kind.Name(),-7} fold {fold}";
}
