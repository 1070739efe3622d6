using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Reports;
using Distillery.Storage;

namespace Distillery.Tests.Reports;

/// <summary>A tiny real run (US_FL, 2 folds, 1 epoch) made by the experiment steps, and its report, built once.</summary>
public sealed class ReportRunFixture : IAsyncLifetime
{
    public const string RunId = "report-test";
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "distillery-report-" + Guid.NewGuid().ToString("N"));
    public LocalDirectoryStore Store { get; private set; } = null!;
    public RunResults Results { get; private set; } = null!;
    public ReportOutput Output { get; private set; } = null!;
    public TimeSpan ReportTime { get; private set; }

    public async Task InitializeAsync()
    {
        Store = new LocalDirectoryStore(Root);
        var steps = new ExperimentSteps(Store, new DataSourceOptions());
        var settings = new ExperimentSettings { Data = RepoPaths.UsFl, Folds = 2, Epochs = 1 };
        var started = DateTime.UtcNow;
        var dataset = await steps.Prepare.RunAsync(new PrepareRequest(RunId, settings));
        var teachers = new List<TrainedModel>();
        foreach (var fold in new[] { 1, 2 })
            teachers.Add(await steps.TrainTeacher.RunAsync(new TrainRequest(RunId, settings, ModelKind.Teacher, fold)));
        var best = TeacherSelection.Best(teachers.Select(t => (t.Fold, t.FinalTrain, t.FinalTest)));
        var students = new List<TrainedModel>();
        foreach (var fold in new[] { 1, 2 })
        {
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest(RunId, settings, ModelKind.Student, fold, best)));
            students.Add(await steps.TrainStudent.RunAsync(new TrainRequest(RunId, settings, ModelKind.Fnn, fold)));
        }
        await steps.Summarize.RunAsync(new SummarizeRequest(RunId, settings, dataset, teachers, best, students, started, DateTime.UtcNow));
        Results = (await Store.ReadJsonAsync<RunResults>(new RunLayout(RunId).Results))!;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Output = await RunReport.WriteAsync(Store, RunId, new ReportOptions());
        ReportTime = clock.Elapsed;
    }

    public string FullPath(string storePath) => Path.Combine(Root, storePath);

    public string Html => File.ReadAllText(FullPath(Output.Html));
    public string Markdown => File.ReadAllText(FullPath(Output.Markdown));

    public Task DisposeAsync()
    {
        // Keep the rendering for a look by hand when asked to.
        if (Environment.GetEnvironmentVariable("DISTILLERY_KEEP_REPORT") is not { Length: > 0 } && Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ReportRunCollection : ICollectionFixture<ReportRunFixture>
{
    public const string Name = "report run";
}
