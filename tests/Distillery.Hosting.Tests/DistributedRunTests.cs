using System.Diagnostics;
using Distillery.Cli;
using Distillery.Experiments;
using Distillery.Hosting;
using Distillery.Storage;
using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;
using Microsoft.DurableTask.Client;

namespace Distillery.Tests.Hosting;

/// <summary>
/// Runs spread over real <c>distillery</c> processes sharing one Azure Storage task hub on Azurite: work shared by
/// several workers, a worker killed mid-activity, a run whose every process died resumed by a later worker. Each
/// ends with the numbers of an undisturbed one-process run, to the last bit.
/// </summary>
public sealed class DistributedRunTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    /// <summary>6 jobs of 10 passes (about 2 s each at batch size 1): long enough to be caught mid-job.</summary>
    private static readonly string[] Settings = ["--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "9", "--threads", "1"];
    private static readonly TimeSpan Takeover = TimeSpan.FromSeconds(10);

    private static readonly Lazy<Task<RunResults>> OneProcess = new(async () =>
    {
        var dir = Directory.CreateTempSubdirectory("distillery-one-process-").FullName;
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(["run", .. Settings, "--run-id", "reference", "--parallel", "1", "--out", dir], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        return (await new LocalDirectoryStore(dir).ReadJsonAsync<RunResults>("runs/reference/results.json"))!;
    });

    private readonly string hub = "t" + Guid.NewGuid().ToString("N")[..12];
    private BlobArtifactStore Blobs => BlobArtifactStore.FromConnectionString(azurite.ConnectionString, "distillery");

    private string[] Hub => ["--connection", azurite.ConnectionString, "--task-hub", hub, "--takeover", $"{Takeover.TotalSeconds}"];

    private CliProcess Worker() => CliProcess.Start(["worker", .. Hub, "--parallel", "1", "--grace", "5"]);

    private async Task ScheduleAsync(string runId)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(["run", .. Settings, .. Hub, "--run-id", runId, "--no-wait"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());
        Assert.Contains($"run {runId} scheduled", stdout.ToString());
    }

    private async Task<RunResults> CompletedAsync(string runId, TimeSpan timeout, params CliProcess[] workers)
    {
        await using var client = await DurableHost.StartAsync(new DurableHostOptions
        {
            Backend = new DurableBackend.AzureStorage(azurite.ConnectionString, hub, Takeover),
            Dispatch = false,
        });
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var state = await client.Client.GetInstanceAsync(runId);
            if (state is { IsCompleted: true })
            {
                Assert.True(state.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
                    $"{state.RuntimeStatus}: {state.FailureDetails?.ErrorMessage}\n{string.Join("\n", workers.Select(w => w.Output))}");
                break;
            }
            Assert.True(clock.Elapsed < timeout, $"run {runId} not done in {timeout.TotalSeconds} s ({state?.RuntimeStatus}):\n" +
                                                 string.Join("\n---\n", workers.Select(w => w.Output)));
            await Task.Delay(250);
        }
        return (await Blobs.ReadJsonAsync<RunResults>($"runs/{runId}/results.json"))!;
    }

    [Fact]
    public async Task Two_workers_share_one_run_each_training_and_the_results_equal_a_one_process_run()
    {
        await using var first = Worker();
        await using var second = Worker();
        await ScheduleAsync("shared");
        var results = await CompletedAsync("shared", TimeSpan.FromMinutes(3), first, second);

        Assert.Equal(6, results.Jobs.Count);
        var byWorker = results.Jobs.GroupBy(j => j.Worker).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byWorker.GetValueOrDefault(first.Worker) >= 1 && byWorker.GetValueOrDefault(second.Worker) >= 1,
            $"jobs by worker: {string.Join(", ", byWorker.Select(w => $"{w.Key} {w.Value}"))} (workers {first.Worker}, {second.Worker})");
        Assert.All(results.Jobs, j => Assert.True(j.Finished > j.Started && j.Seconds > 0));
        RunComparison.AssertSameCurves(await OneProcess.Value, results);

        // SIGTERM with nothing running: each drains at once and exits cleanly.
        foreach (var worker in new[] { first, second })
        {
            await worker.TerminateAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, worker.ExitCode);
            Assert.Contains($"worker {worker.Worker} stopped", worker.Output);
        }
    }

    [Fact]
    public async Task A_worker_killed_in_the_middle_of_a_training_job_has_its_job_taken_over_and_the_run_completes_unchanged()
    {
        await using var first = Worker();
        await using var second = Worker();
        await ScheduleAsync("killed");
        // Whichever worker starts training first is killed in the middle of its job (pass 3 of 10).
        var clock = Stopwatch.StartNew();
        CliProcess? victim = null;
        while (victim is null)
        {
            victim = new[] { first, second }.FirstOrDefault(w => w.Output.Contains("pass    3/10", StringComparison.Ordinal));
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"no training started:\n{first.Output}\n---\n{second.Output}");
            await Task.Delay(20);
        }
        await victim.KillAsync();
        var survivor = victim == first ? second : first;

        var results = await CompletedAsync("killed", TimeSpan.FromMinutes(3), survivor);
        RunComparison.AssertSameCurves(await OneProcess.Value, results);
        // The job the victim was training was trained again, to its end, by the survivor.
        Assert.Equal(6, results.Jobs.Count);
        Assert.Contains(results.Jobs, j => j.Worker == survivor.Worker);
        Assert.DoesNotContain($"worker {victim.Worker} stopped", victim.Output);
    }

    [Fact]
    public async Task A_run_whose_process_died_after_prepare_is_finished_by_a_worker_started_later_without_preparing_again()
    {
        await using (var run = CliProcess.Start(["run", .. Settings, .. Hub, "--run-id", "orphan", "--parallel", "1"]))
        {
            var clock = Stopwatch.StartNew();
            while (!await Blobs.ExistsAsync("runs/orphan/dataset/dataset.json.sha256"))
            {
                Assert.False(run.HasExited, run.Output);
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"prepare did not finish: {run.Output}");
                await Task.Delay(20);
            }
            await run.KillAsync();
        }
        Assert.False(await Blobs.ExistsAsync("runs/orphan/results.json"));
        var prepared = await Blobs.VersionAsync("runs/orphan/dataset/dataset.json");

        await Task.Delay(TimeSpan.FromSeconds(2)); // nobody works on the hub for a while
        await using var later = Worker();
        var results = await CompletedAsync("orphan", TimeSpan.FromMinutes(3), later);
        RunComparison.AssertSameCurves(await OneProcess.Value, results);
        // Prepare's outcome came from the run's history: the dataset was not written again.
        Assert.Equal(prepared, await Blobs.VersionAsync("runs/orphan/dataset/dataset.json"));
        Assert.All(results.Jobs, j => Assert.Equal(later.Worker, j.Worker));
    }

    [Fact]
    public async Task A_worker_stopped_with_SIGTERM_mid_job_hands_it_back_at_once_and_another_worker_finishes_the_run()
    {
        // A long takeover: were the job not handed back, the run could not end within the test's time.
        string[] hub = ["--connection", azurite.ConnectionString, "--task-hub", this.hub, "--takeover", "600"];
        await using var stopping = CliProcess.Start(["worker", .. hub, "--parallel", "1", "--grace", "0"]);
        await stopping.WaitForLineAsync(l => l.Contains("joined", StringComparison.Ordinal), TimeSpan.FromMinutes(1));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(await DistilleryCli.RunAsync(["run", .. Settings, .. hub, "--run-id", "handed", "--no-wait"], stdout, stderr) == 0,
            stderr.ToString());
        await stopping.WaitForLineAsync(l => l.Contains("pass    3/10", StringComparison.Ordinal), TimeSpan.FromMinutes(1));

        await stopping.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, stopping.ExitCode);
        Assert.Contains("unfinished job(s) handed back to the task hub", stopping.Output);

        await using var other = CliProcess.Start(["worker", .. hub, "--parallel", "1"]);
        var results = await CompletedAsync("handed", TimeSpan.FromMinutes(2), other);
        RunComparison.AssertSameCurves(await OneProcess.Value, results);
    }

    [Fact]
    public async Task Jobs_longer_than_the_takeover_timeout_are_renewed_not_trained_twice()
    {
        // 200 passes (several seconds a job; 30 passes no longer outlasted the takeover once the training hosts'
        // code was optimised at once) against a 3 s takeover: unrenewed, each job's message would reappear mid-job and
        // the other worker would train it a second time.
        string[] settings = ["--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "199", "--threads", "1"];
        string[] hub = ["--connection", azurite.ConnectionString, "--task-hub", this.hub, "--takeover", "3"];
        await using var first = CliProcess.Start(["worker", .. hub, "--parallel", "1"]);
        await using var second = CliProcess.Start(["worker", .. hub, "--parallel", "1"]);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.True(await DistilleryCli.RunAsync(["run", .. settings, .. hub, "--run-id", "long", "--no-wait"], stdout, stderr) == 0,
            stderr.ToString());
        var results = await CompletedAsync("long", TimeSpan.FromMinutes(3), first, second);

        Assert.True(results.Jobs.Max(j => j.Seconds) > 3,
            $"the jobs must outlast the takeover timeout for this test to mean anything (longest {results.Jobs.Max(j => j.Seconds):F1} s)");
        // Every job trained exactly once over both workers (its 20th pass, the first one printed, appears once).
        var starts = (first.Output + second.Output).Split('\n').Where(l => l.Contains("pass   20/200", StringComparison.Ordinal))
            .Select(l => l.Split("pass")[0].Trim()).ToList();
        Assert.Equal(6, starts.Count);
        Assert.Equal(6, starts.Distinct().Count());
    }
}
