using Distillery.Hosting;
using Distillery.Data;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Tests.Experiments;
using Distillery.Workflow;
using Microsoft.Extensions.Logging.Abstractions;

namespace Distillery.Tests.Workflow;

/// <summary>The watcher's tick and a champion decision on the same location's state at once.</summary>
public class WatcherRaceTests
{
    [Fact]
    public async Task A_champion_decided_while_the_watcher_downloads_is_not_written_back_by_the_watcher()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "champ", TinyRun.Settings(epochs: 0));
        await steps.Store.SetStudentMaseAsync("champ", 0.9); // beats persistence, so it can be champion
        var csv = await File.ReadAllBytesAsync(RepoPaths.UsFl);
        var fingerprint = Fingerprints.Of(csv);

        // Serves the CSV, each answer held until released.
        var requested = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var server = new LoopbackHttpServer(async context =>
        {
            requested.TrySetResult();
            await release.Task;
            await context.Response.OutputStream.WriteAsync(csv);
            context.Response.Close();
        });
        var watcher = new DatasetWatcher(steps.Store, new DataSourceOptions { AllowInsecureLoopback = true }, TinyRun.Settings(epochs: 0),
            0.05, NullLogger.Instance);
        await using var host = await ExperimentHost.StartAsync(steps.Store, new DataSourceOptions(), parallel: 1);
        var entry = $"US_FL={server.Url("US_FL.csv")}";
        var tick = watcher.CheckOneAsync(host.Client, DataSpec.Parse(entry));

        // While the watcher waits for the download, the retraining of that very data finishes and is decided.
        await requested.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var registry = new ChampionRegistry(steps.Store);
        var decision = await registry.DecideAsync("US_FL", "champ", fingerprint, DatasetWatcher.DatasetPath("US_FL", fingerprint), 0.05, DateTime.UtcNow);
        Assert.Equal("champion", decision.Outcome);
        release.SetResult();
        var outcome = await tick.WaitAsync(TimeSpan.FromSeconds(60));

        var state = await registry.GetAsync("US_FL");
        Assert.Equal("champ", state.Champion?.RunId); // not the champion-less state the watcher read before downloading
        Assert.Equal(fingerprint, state.Sources[entry].Fingerprint); // and the watcher's own change is kept
        Assert.Equal("unchanged", outcome.Action); // the champion was trained on this data: no new run
    }
}
