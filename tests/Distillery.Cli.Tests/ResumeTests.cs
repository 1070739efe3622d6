using System.Diagnostics;
using Distillery.Cli;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

/// <summary>
/// Processes die and storage goes away mid-run: <c>distillery run --resume RUNID</c> finishes the run from its stored
/// settings and artifacts, without retraining what was finished, to the results of an uninterrupted run.
/// </summary>
public class ResumeTests
{
    /// <summary>Small enough to be quick, long enough (6 jobs of 5 passes on US_FL) to be interrupted.</summary>
    private static readonly string[] Settings = ["--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "4", "--threads", "1"];

    private static readonly Lazy<Task<RunResults>> Uninterrupted = new(async () =>
    {
        var dir = Directory.CreateTempSubdirectory("distillery-uninterrupted-").FullName;
        var (code, _, stderr) = await Cli(["run", .. Settings, "--run-id", "reference", "--parallel", "1", "--out", dir]);
        Assert.True(code == 0, stderr);
        return (await new LocalDirectoryStore(dir).ReadJsonAsync<RunResults>("runs/reference/results.json"))!;
    });

    private static async Task<(int Code, string Out, string Err)> Cli(string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The finished steps' files: every outcome whose hash is stored and matches, with its models.</summary>
    private static async Task<Dictionary<string, byte[]>> FinishedSteps(IArtifactStore store, string runId)
    {
        var files = new Dictionary<string, byte[]>();
        foreach (var path in (await store.ListAsync($"runs/{runId}/curves/")).Where(p => p.EndsWith(".json", StringComparison.Ordinal)))
        {
            var read = await store.ReadCheckedAsync(path);
            if (!read.IsVerified) continue;
            files[path] = read.Content!;
            var outcome = read.VerifiedJson<TrainingOutcome>()!;
            files[outcome.Model.ModelPath] = (await store.ReadAsync(outcome.Model.ModelPath))!;
        }
        return files;
    }

    [Fact]
    public async Task A_run_killed_with_SIGKILL_resumes_without_retraining_finished_folds_to_the_same_results()
    {
        using var dir = new TempDir();
        var store = new LocalDirectoryStore(dir.Path);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] args = [Path.Combine(AppContext.BaseDirectory, "distillery.dll"), "run", .. Settings, "--run-id", "k1", "--parallel", "1", "--out", dir.Path];
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        Dictionary<string, byte[]> finished;
        var clock = Stopwatch.StartNew();
        try
        {
            while ((finished = await FinishedSteps(store, "k1")).Count == 0)
            {
                Assert.False(process.HasExited, $"the run ended before any step finished: {output}");
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"no step finished in 90 s: {output}");
                await Task.Delay(50);
            }
        }
        finally
        {
            process.Kill(); // SIGKILL: no cleanup, no finally blocks, in-flight writes abandoned
            await process.WaitForExitAsync();
        }
        finished = await FinishedSteps(store, "k1"); // whatever completed up to the kill
        Assert.False(await store.ExistsAsync("runs/k1/results.json"), "the run finished before it was killed");
        var modified = finished.Keys.ToDictionary(p => p, p => File.GetLastWriteTimeUtc(Path.Combine(dir.Path, p)));

        var (code, stdout, stderr) = await Cli(["run", "--resume", "k1", "--parallel", "1", "--out", dir.Path]);
        Assert.True(code == 0, stderr);
        Assert.Contains("run k1", stdout);

        // The steps finished before the kill were not trained again: their files are untouched, byte for byte.
        foreach (var (path, bytes) in finished)
        {
            Assert.Equal(bytes, await store.ReadAsync(path));
            Assert.Equal(modified[path], File.GetLastWriteTimeUtc(Path.Combine(dir.Path, path)));
        }
        var resumed = (await store.ReadJsonAsync<RunResults>("runs/k1/results.json"))!;
        Assert.Equal(4, resumed.Settings.Epochs);
        RunComparison.AssertSameCurves(await Uninterrupted.Value, resumed);
    }

    [Fact]
    public async Task Storage_stopped_mid_run_holds_the_run_corrupts_nothing_and_the_run_completes_once_it_is_back()
    {
        using var dir = new TempDir();
        await using var azurite = await AzuriteServer.StartNewAsync(Path.Combine(dir.Path, "azurite"));
        var blobs = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, "distillery");
        // With --connection the orchestration's state lives in that storage account too (the Azure Storage task hub).
        var run = Cli(["run", .. Settings, "--run-id", "s1", "--parallel", "1", "--connection", azurite.ConnectionString, "--takeover", "10"]);

        var clock = Stopwatch.StartNew();
        while ((await FinishedSteps(blobs, "s1")).Count == 0)
        {
            if (run.IsCompleted) Assert.Fail($"the run ended before any step finished: {(await run).Err}");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), "no step finished in 90 s");
            await Task.Delay(50);
        }
        var finished = await FinishedSteps(blobs, "s1");
        await azurite.StopAsync();

        // Storage away for a while: a transient fault, not a failed run. The workers and the CLI wait and retry.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.False(run.IsCompleted, run.IsCompleted ? (await run).Err : "");
        await azurite.StartAsync();

        var (code, stdout, stderr) = await run.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(code == 0, stderr + stdout);
        // Nothing is corrupt: every hashed artifact matches its hash; the steps finished before the outage were kept.
        foreach (var path in (await blobs.ListAsync("runs/s1/")).Where(p => !p.EndsWith(ContentHash.Suffix, StringComparison.Ordinal)))
            Assert.True((await blobs.ReadCheckedAsync(path)).Status is not ArtifactCheck.Corrupt, path);
        foreach (var (path, bytes) in finished) Assert.Equal(bytes, await blobs.ReadAsync(path));
        RunComparison.AssertSameCurves(await Uninterrupted.Value, (await blobs.ReadJsonAsync<RunResults>("runs/s1/results.json"))!);
    }
}
