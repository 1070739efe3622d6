using System.CommandLine;
using System.Text.Json;
using Distillery.Hosting;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Reports;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.DurableTask.Client;
using Spectre.Console;

namespace Distillery.Cli;

/// <summary>The <c>distillery</c> command line. Exit codes: 0 done, 2 bad input (one line on stderr), 1 anything else.</summary>
public static class DistilleryCli
{
    public const int Ok = 0, Failed = 1, BadInput = 2;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct = default) =>
        RunAsync(args, stdout, stderr, new DataSourceOptions(), ct);

    /// <param name="dataOptions">How data URLs are fetched (allow-list, timeouts, retries).</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, DataSourceOptions dataOptions,
        CancellationToken ct = default)
    {
        var o = new CliOptions();
        var root = new RootCommand("Distillery: distil an LSTM forecaster into a small feed-forward network.");

        var prepareOut = new Option<string>("--out") { Description = "Folder for dataset.json.", Required = true };
        var prepare = new Command("prepare", "Load and clean a dataset; write OUT/dataset.json.");
        foreach (var option in o.DataOptions) prepare.Options.Add(option);
        prepare.Options.Add(prepareOut);
        prepare.SetAction((result, token) => Guard(stderr, () => PrepareAsync(o, result, result.GetValue(prepareOut)!, dataOptions, stdout, token)));

        var run = new Command("run", "Run the study's experiment (teacher, distilled student and FNN per fold): in memory, or with --connection on an Azure Storage task hub that workers share.");
        foreach (var option in o.RunOptions) run.Options.Add(option);
        run.SetAction((result, token) => Guard(stderr, () => RunExperimentAsync(o, result, dataOptions, stdout, token)));

        var runDir = new Argument<string>("runDir") { Description = "The run's folder, e.g. runs/20261128-101500-abc123." };
        var windows = new Option<int[]?>("--plot-windows") { Description = "Windows (0-based) whose forecasts to draw.", AllowMultipleArgumentsPerToken = true };
        var report = new Command("report", "Re-render the report of a finished run from its stored results, without retraining.");
        report.Arguments.Add(runDir);
        report.Options.Add(windows);
        report.SetAction((result, token) => Guard(stderr, () => ReportAsync(result.GetValue(runDir)!, result.GetValue(windows), stdout, token)));

        root.Subcommands.Add(prepare);
        root.Subcommands.Add(run);
        root.Subcommands.Add(report);
        root.Subcommands.Add(PredictCommand.Create(stdout, stderr, Guard));
        root.Subcommands.Add(WorkerCommand.Create(o, dataOptions, stdout, stderr, Guard));
        root.Subcommands.Add(StatusCommand.Create(o, stdout, stderr, Guard));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            stderr.WriteLine($"error: {parsed.Errors[0].Message}");
            return BadInput;
        }
        // SIGINT/SIGTERM keep the runtime's default (exit at once; a run resumes from its stored steps) except for a
        // worker, which handles them itself to drain (WorkerCommand): System.CommandLine's own handling would exit 2 s later.
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, ProcessTerminationTimeout = null }, ct);
    }

    /// <summary>One line per failure, never a stack trace.</summary>
    public static async Task<int> Guard(TextWriter stderr, Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (InvalidInputException e)
        {
            stderr.WriteLine($"error: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine("error: cancelled");
            return Failed;
        }
        catch (Exception e)
        {
            stderr.WriteLine($"error: {e.GetType().Name}: {OneLine(e.Message)}");
            return Failed;
        }
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static async Task<int> PrepareAsync(CliOptions o, ParseResult result, string outDir, DataSourceOptions dataOptions, TextWriter stdout,
        CancellationToken ct)
    {
        var settings = new ExperimentSettings
        {
            Data = o.DataSources(result),
            Target = result.GetValue(o.Target)!,
            InputDays = result.GetValue(o.InputDays),
            OutputDays = result.GetValue(o.OutputDays),
        }.Validated();
        var steps = new ExperimentSteps(new LocalDirectoryStore(outDir), dataOptions);
        var data = await steps.Prepare.LoadCleanAsync(settings, ct);
        var artifact = DatasetArtifact.From(data, settings.InputDays, settings.OutputDays, []);
        var json = new
        {
            artifact.Source, artifact.Target, artifact.Rows, artifact.Windows, artifact.Features,
            artifact.Min, artifact.Max, artifact.FirstDate, artifact.LastDate,
        };
        var store = new LocalDirectoryStore(outDir);
        await store.WriteJsonAsync("dataset.json", json, ct);
        stdout.WriteLine($"{artifact.Source}: {artifact.Rows} rows ({artifact.FirstDate} to {artifact.LastDate}), " +
                         $"{artifact.Features.Count} features, {artifact.Windows} windows → {Path.Combine(store.Root, "dataset.json")}");
        return Ok;
    }

    private static async Task<int> RunExperimentAsync(CliOptions o, ParseResult result, DataSourceOptions dataOptions, TextWriter stdout,
        CancellationToken ct)
    {
        var resume = result.GetValue(o.Resume);
        if (resume is not null)
        {
            RunIds.Validate(resume);
            var given = o.SettingsOptions.Where(option => result.GetResult(option) is { Implicit: false }).Select(option => option.Name).ToList();
            if (given.Count > 0)
                throw new InvalidInputException($"--resume runs with the run's stored settings: drop {string.Join(", ", given)}");
        }
        var settings = resume is null ? o.Settings(result) : null;
        var parallel = result.GetValue(o.Parallel);
        if (parallel < 1) throw new InvalidInputException($"--parallel must be ≥ 1, got {parallel}");
        var runId = resume ?? (result.GetValue(o.RunId) is { } id ? RunIds.Validate(id) : RunIds.New(DateTime.UtcNow, Guid.NewGuid()));
        var store = await StoreFactory.CreateAsync(result.GetValue(o.Out)!, result.GetValue(o.Connection), result.GetValue(o.Container)!, ct);
        if (settings is null)
            settings = await RunSettings.LoadAsync(store, runId, ct)
                       ?? throw new InvalidInputException($"no run '{runId}' to resume in {store.Describe()} (no {new RunLayout(runId).Settings})");
        else if (!await RunSettings.StoreAsync(store, runId, settings, ct))
            throw new InvalidInputException(
                $"run '{runId}' already exists in {store.Describe()} with other settings: resume it with --resume {runId}, or choose another --run-id");
        var backend = o.Backend(result);
        var request = new ExperimentRequest(runId, settings);

        if (result.GetValue(o.NoWait))
        {
            await using var client = await ExperimentHost.StartAsync(store, dataOptions, parallel, backend: backend, dispatch: false, ct: ct);
            var before = await client.ScheduleAsync(request, ct);
            stdout.WriteLine(before is null
                ? $"run {runId} scheduled on {backend.Describe()}: workers (distillery worker) run it; distillery status {runId} shows it"
                : $"run {runId} is already {before.RuntimeStatus} on {backend.Describe()}");
            return Ok;
        }

        stdout.WriteLine($"run {runId}: {settings.Data ?? "embedded US_FL"} → {store.Describe()}/runs/{runId} ({backend.Describe()})");
        async Task<OrchestrationMetadata> Run(IRunProgress progress)
        {
            // libtorch takes about half a second to load: it loads on another core while the durable host starts.
            var torchLoaded = Task.Run(() => TorchSharp.torch.set_num_threads(settings.Threads), ct);
            await using var host = await ExperimentHost.StartAsync(store, dataOptions, parallel, progress, backend: backend, ct: ct);
            await torchLoaded;
            await host.ScheduleAsync(request, ct);
            return await host.WaitAsync(runId, progress.OnStatus, ct);
        }
        var interactive = ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        var state = interactive
            ? await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(ctx => Run(new SpectreProgress(ctx)))
            : await Run(new PlainProgress(stdout));
        if (state.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            var failure = state.FailureDetails;
            var message = failure?.ErrorMessage ?? state.RuntimeStatus.ToString();
            if (failure?.IsCausedBy<InvalidInputException>() == true) throw new InvalidInputException(message);
            throw new InvalidOperationException($"run {runId} {state.RuntimeStatus}: {message} (finished steps are kept: resume with --resume {runId})");
        }
        var summary = state.ReadOutputAs<RunSummary>() ?? throw new InvalidOperationException("the run completed without a summary");
        var combined = ExperimentPart.Of(settings).Count > 1
            ? await store.ReadJsonAsync<CombinedResults>(summary.ResultsPath, ct)
            : null;
        foreach (var path in combined?.Parts.Select(p => p.ResultsPath) ?? [summary.ResultsPath])
            SummaryTable.Write(stdout, await store.ReadJsonAsync<RunResults>(path, ct)
                                       ?? throw new InvalidOperationException($"the run completed but {path} is missing"));
        stdout.WriteLine($"report: {store.Describe()}/{summary.ReportPath}");
        return Ok;
    }

    private static async Task<int> ReportAsync(string runDir, int[]? windows, TextWriter stdout, CancellationToken ct)
    {
        var (store, runId) = await RunFolder.OpenAsync(runDir, ct);
        var output = await RunReport.WriteAsync(store, runId, new ReportOptions { PlotWindows = windows }, ct);
        stdout.WriteLine($"report: {Path.Combine(store.Root, output.Html)} ({output.Charts.Count} charts)");
        return Ok;
    }
}
