using System.CommandLine;
using System.Globalization;
using Distillery.Experiments;
using Distillery.Hosting;
using Distillery.Workflow;
using Microsoft.DurableTask.Client;

namespace Distillery.Cli;

/// <summary><c>distillery status [ID] --connection C</c>: a run's progress, or the task hub's runs newest first, from any machine.</summary>
public static class StatusCommand
{
    public static Command Create(CliOptions o, TextWriter stdout, TextWriter stderr, Func<TextWriter, Func<Task<int>>, Task<int>> guard)
    {
        var id = new Argument<string?>("id") { Description = "The run's id; without it, the runs of the task hub, newest first.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("status", "Show a run's progress (or the task hub's runs) from the Azure Storage task hub.");
        command.Arguments.Add(id);
        foreach (var option in new Option[] { o.Connection, o.TaskHub }) command.Options.Add(option);
        command.SetAction((result, token) => guard(stderr, () => RunAsync(o, result, result.GetValue(id), stdout, token)));
        return command;
    }

    private static async Task<int> RunAsync(CliOptions o, ParseResult result, string? id, TextWriter stdout, CancellationToken ct)
    {
        if (result.GetValue(o.Connection) is null) throw new InvalidInputException("status needs --connection (the Azure Storage account of the task hub)");
        if (id is not null) RunIds.Validate(id);
        var backend = o.Backend(result);
        await using var host = await DurableHost.StartAsync(new DurableHostOptions { Backend = backend, Dispatch = false }, ct);
        if (id is null)
        {
            var runs = new List<OrchestrationMetadata>();
            await foreach (var instance in host.Client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 100 }).WithCancellation(ct))
                runs.Add(instance);
            if (runs.Count == 0) stdout.WriteLine($"no runs in {backend.Describe()}");
            foreach (var run in runs.OrderByDescending(r => r.CreatedAt))
                stdout.WriteLine($"{run.InstanceId,-40} {run.Name,-24} {run.RuntimeStatus,-10} created {Time(run.CreatedAt)}  updated {Time(run.LastUpdatedAt)}");
            return DistilleryCli.Ok;
        }
        var state = await host.Client.GetInstanceAsync(id, getInputsAndOutputs: true, ct)
                    ?? throw new InvalidInputException($"no run '{id}' in {backend.Describe()}");
        stdout.WriteLine($"run {state.InstanceId}: {state.RuntimeStatus} ({state.Name}), created {Time(state.CreatedAt)}, updated {Time(state.LastUpdatedAt)}");
        if (state.Name == nameof(ExperimentOrchestrator) && state.ReadCustomStatusAs<ExperimentProgress>() is { } progress)
        {
            stdout.WriteLine($"  phase {progress.Phase}, folds {progress.FoldsDone}/{progress.FoldsTotal}, jobs {progress.JobsDone}/{progress.JobsTotal}");
            foreach (var loss in progress.Latest)
                stdout.WriteLine($"  {loss.Model,-10} fold {loss.Fold}{(loss.Part.Length > 0 ? $" ({loss.Part})" : "")}  train {loss.Train:0.0000}  test {loss.Test:0.0000}");
        }
        if (state.FailureDetails is { } failure) stdout.WriteLine($"  failed: {failure.ErrorMessage.ReplaceLineEndings(" ")}");
        if (state.RuntimeStatus == OrchestrationRuntimeStatus.Completed && state.Name == nameof(ExperimentOrchestrator)
            && state.ReadOutputAs<RunSummary>() is { } summary)
            stdout.WriteLine($"  results {summary.ResultsPath}, report {summary.ReportPath}");
        return DistilleryCli.Ok;
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
