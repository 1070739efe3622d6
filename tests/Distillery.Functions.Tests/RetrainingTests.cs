using Distillery.Models;
using System.Text;
using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Functions;
using Distillery.Functions.Http;
using Distillery.Retraining;
using Distillery.Serving;
using Distillery.Storage;
using Distillery.Storage.Blobs;
using Distillery.Tests.Azurite;
using Distillery.Tests.Experiments;
using Distillery.Workflow;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Distillery.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>A blob store whose writes under a prefix can be made to fail, to produce a failed retraining run.</summary>
public sealed class SwitchableStore(IVersionedArtifactStore inner) : IVersionedArtifactStore
{
    public volatile string? FailWritesUnder;
    public string Describe() => inner.Describe();
    public Task<bool> ExistsAsync(string path, CancellationToken ct = default) => inner.ExistsAsync(path, ct);
    public Task<byte[]?> ReadAsync(string path, CancellationToken ct = default) => inner.ReadAsync(path, ct);
    public Task<string?> VersionAsync(string path, CancellationToken ct = default) => inner.VersionAsync(path, ct);
    public Task<bool> DeleteAsync(string path, CancellationToken ct = default) => inner.DeleteAsync(path, ct);
    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken ct = default) => inner.ListAsync(prefix, ct);
    public Task<bool> CreateNewAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) => inner.CreateNewAsync(path, content, ct);
    public Task WriteAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        Fails(path) ? throw new IOException($"storage refused {path}") : inner.WriteAsync(path, content, ct);
    public Task WriteWithHashAsync(string path, ReadOnlyMemory<byte> content, CancellationToken ct = default) =>
        Fails(path) ? throw new IOException($"storage refused {path}") : inner.WriteWithHashAsync(path, content, ct);
    public Task<bool> TryReplaceAsync(string path, ReadOnlyMemory<byte> content, string? expectedVersion, CancellationToken ct = default) =>
        Fails(path) ? throw new IOException($"storage refused {path}") : inner.TryReplaceAsync(path, content, expectedVersion, ct);
    public Task<HashedContent?> ReadWithHashAsync(string path, CancellationToken ct = default) => inner.ReadWithHashAsync(path, ct);
    public Task<VersionedContent?> ReadVersionedAsync(string path, CancellationToken ct = default) => inner.ReadVersionedAsync(path, ct);
    private bool Fails(string path) => FailWritesUnder is { } prefix && path.StartsWith(prefix, StringComparison.Ordinal);
}

/// <summary>Scheduled retraining, uploads, champions and serving on Azurite and the app's functions on the in-process durable host.</summary>
public class RetrainingTests : IAsyncLifetime
{
    /// <summary>The durable backend the app's functions run on (null: in memory).</summary>
    protected virtual DurableBackend? Backend(AzuriteServer azurite) => null;

    private static readonly ExperimentSettings Tiny = new() { Folds = 2, Epochs = 0 };
    private AzuriteServer azurite = null!;
    private SwitchableStore store = null!;
    private DurableHost durable = null!;
    private DatasetWatcher watcher = null!;
    private readonly DistilleryOptions options = new()
    {
        MaxUploadBytes = 4 << 20, RetrainSettings = Tiny, ChampionTolerance = 0.05, WatchedDatasets = [DataSpec.Parse("blob:datasets/US_WA/")],
    };

    public async Task InitializeAsync()
    {
        azurite = await AzuriteServer.StartNewAsync();
        var blob = BlobArtifactStore.FromConnectionString(azurite.ConnectionString, "distillery");
        await blob.EnsureContainerAsync();
        store = new SwitchableStore(blob);
        durable = await FunctionsHost.StartAsync(store, options, backend: Backend(azurite));
        watcher = durable.Services.GetRequiredService<DatasetWatcher>(); // the app's, as the functions get it
    }

    public async Task DisposeAsync()
    {
        await durable.DisposeAsync();
        await azurite.DisposeAsync();
    }

    private static byte[] UsFl(int dropLastRows = 0)
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        return Encoding.UTF8.GetBytes(string.Join('\n', lines.Take(lines.Length - dropLastRows)) + "\n");
    }

    private async Task<OrchestrationMetadata> Finished(string instanceId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        return await durable.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true, timeout.Token);
    }

    [Fact]
    public async Task New_data_starts_exactly_one_run_and_the_same_data_none()
    {
        await store.WriteAsync("datasets/US_FL/2021-02-08.csv", UsFl());
        var entry = DataSpec.Parse("blob:datasets/US_FL/");

        var first = await watcher.CheckOneAsync(durable.Client, entry);
        Assert.Equal("started", first.Action);
        var done = await Finished(first.InstanceId!);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        // Untrained (0 epochs), the student is worse than persistence: refused, and the location serves persistence.
        var decision = done.ReadOutputAs<ChampionDecision>()!;
        Assert.Equal("baseline", decision.Outcome);
        Assert.True(decision.Skill!.Mase >= 1, $"MASE {decision.Skill.Mase}");
        Assert.Contains("worse than persistence on the held-out folds", decision.Reason);
        Assert.EndsWith("the location serves persistence", decision.Reason);

        var again = await watcher.CheckOneAsync(durable.Client, entry);
        Assert.Equal("unchanged", again.Action);
        Assert.Null(again.InstanceId);

        var api = new ModelApi(store, Options.Create(options), new ForecasterCache(store));
        var (status, _, body) = ApiHost.Read(await api.Get(ApiHost.Request("GET", "/api/models/US_FL"), "US_FL", default));
        Assert.Equal(200, status);
        using (var baselineState = JsonDocument.Parse(body))
        {
            Assert.Equal("persistence", baselineState.RootElement.GetProperty("served").GetString());
            Assert.Equal(JsonValueKind.Null, baselineState.RootElement.GetProperty("champion").ValueKind);
            Assert.Equal(decision.RunId, baselineState.RootElement.GetProperty("challenger").GetProperty("runId").GetString());
        }

        var lastRows = File.ReadAllLines(RepoPaths.UsFl);
        var header = lastRows[0].Split(',');
        var rows = lastRows[^10..].Select(line => header.Zip(line.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
        rows[^1]["new_hospitalized_patients"] = "4321"; // empty in the file (→ 0): a value persistence must repeat
        var predictBody = JsonSerializer.Serialize(new { rows });
        async Task<(int Status, string Body)> Predict(string location, string content, string? contentType = null)
        {
            var request = ApiHost.Request("POST", $"/api/models/{location}/predict", content);
            if (contentType is not null) request.ContentType = contentType;
            var (code, _, text) = ApiHost.Read(await api.Predict(request, location, default));
            return (code, text);
        }

        // Persistence: the last input day's target for each of the 14 days after it, with the candidate's scores.
        const double lastTarget = 4321;
        var csvBody = string.Join('\n', rows.Select(r => string.Join(',', header.Select(h => r[h]))).Prepend(lastRows[0]));
        foreach (var (content, contentType) in new[] { (predictBody, (string?)null), (csvBody, "text/csv") })
        {
            var persisted = await Predict("US_FL", content, contentType);
            Assert.True(persisted.Status == 200, persisted.Body);
            using var got = JsonDocument.Parse(persisted.Body);
            var root = got.RootElement;
            Assert.Equal("persistence", root.GetProperty("model").GetString());
            var days = root.GetProperty("forecast").EnumerateArray().ToList();
            Assert.Equal(Enumerable.Range(0, 14).Select(d => new DateOnly(2021, 2, 9).AddDays(d).ToString("yyyy-MM-dd")),
                days.Select(d => d.GetProperty("date").GetString()));
            Assert.All(days, d => Assert.Equal(lastTarget, d.GetProperty("value").GetDouble()));
            // Its 23 quantiles are the Forecast Hub baseline's: median the last value, monotone, ≥ 0, wider each day.
            Assert.Equal(Distillery.Scoring.QuantileLevels.Levels, root.GetProperty("quantileLevels").EnumerateArray().Select(l => l.GetDouble()));
            var quantiles = days.Select(d => d.GetProperty("quantiles").EnumerateArray().Select(q => q.GetDouble()).ToArray()).ToList();
            Assert.All(days, d => Assert.Equal(lastTarget, d.GetProperty("median").GetDouble()));
            Assert.All(quantiles, q => Assert.Equal(23, q.Length));
            Assert.All(quantiles, q => Assert.True(q[0] >= 0 && q.Zip(q.Skip(1)).All(p => p.First <= p.Second)));
            Assert.True(quantiles[^1][^1] - quantiles[^1][0] > quantiles[0][^1] - quantiles[0][0]);
            Assert.Equal(decision.Reason, root.GetProperty("reason").GetString());
            var candidate = root.GetProperty("candidate");
            Assert.Equal((decision.RunId, "baseline"), (candidate.GetProperty("runId").GetString(), candidate.GetProperty("outcome").GetString()));
            var skill = candidate.GetProperty("skill");
            Assert.Equal(decision.Skill.Mase, skill.GetProperty("mase").GetDouble());
            Assert.Equal(decision.Skill.Mae, skill.GetProperty("mae").GetDouble());
            Assert.Equal(decision.Skill.PersistenceMae, skill.GetProperty("persistenceMae").GetDouble());
            Assert.Equal(decision.Skill.Protocol, skill.GetProperty("protocol").GetString());
        }
        // Bad input gets the models' messages.
        var tooFew = await Predict("US_FL", JsonSerializer.Serialize(new { rows = rows[1..] }));
        Assert.Equal(400, tooFew.Status);
        Assert.Contains("needs the last 10 days of input, got 9 rows", tooFew.Body);
        var noColumn = await Predict("US_FL", JsonSerializer.Serialize(new { rows = rows.Select(r => r.Where(kv => kv.Key != "new_confirmed").ToDictionary()) }));
        Assert.Equal(400, noColumn.Status);
        Assert.Contains("missing 1 feature column: new_confirmed", noColumn.Body);
        Assert.Equal(404, ApiHost.Read(await api.Export(ApiHost.Request("GET", "/api/models/US_FL/student.json"), "US_FL", "json", default)).Status);

        // The same run, as if its student had beaten persistence, decided for another location: served as champion.
        await store.SetStudentMaseAsync(decision.RunId, 0.5);
        var promoted = await new ChampionRegistry(store).DecideAsync("US_MI", decision.RunId, first.Fingerprint!, "datasets/US_FL/2021-02-08.csv", 0.05, DateTime.UtcNow);
        Assert.Equal(("champion", "first run for this location"), (promoted.Outcome, promoted.Reason));
        (status, _, body) = ApiHost.Read(await api.Get(ApiHost.Request("GET", "/api/models/US_MI"), "US_MI", default));
        Assert.Equal(200, status);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("student", json.RootElement.GetProperty("served").GetString());
        Assert.Equal(decision.RunId, json.RootElement.GetProperty("champion").GetProperty("runId").GetString());
        Assert.Equal(first.Fingerprint, json.RootElement.GetProperty("champion").GetProperty("fingerprint").GetString());
        Assert.Equal(0.5, json.RootElement.GetProperty("champion").GetProperty("skill").GetProperty("mase").GetDouble());
        Assert.Single(json.RootElement.GetProperty("history").EnumerateArray());

        // Serving the champion: the API's forecast equals the model evaluated directly, for student and teacher.
        foreach (var kind in new[] { Distillery.Models.ModelKind.Student, Distillery.Models.ModelKind.Teacher })
        {
            var query = kind == Distillery.Models.ModelKind.Teacher ? "?model=teacher" : "";
            var request = ApiHost.Request("POST", "/api/models/US_MI/predict", predictBody);
            request.QueryString = new Microsoft.AspNetCore.Http.QueryString(query);
            var (predictStatus, _, predicted) = ApiHost.Read(await api.Predict(request, "US_MI", default));
            Assert.True(predictStatus == 200, predicted);
            using var direct = await Distillery.Serving.Forecaster.LoadAsync(store, decision.RunId, kind, default);
            var expected = direct.Predict(rows.Select(r => (IReadOnlyDictionary<string, string>)r).ToList());
            using var got = JsonDocument.Parse(predicted);
            var values = got.RootElement.GetProperty("forecast").EnumerateArray().Select(d => d.GetProperty("value").GetDouble()).ToArray();
            Assert.Equal(expected.Days.Select(d => d.Value).ToArray(), values);
            Assert.Equal("2021-02-09", got.RootElement.GetProperty("forecast")[0].GetProperty("date").GetString());
            // The model's measured skill, from its run's results.
            var skill = got.RootElement.GetProperty("skill");
            Assert.Equal(expected.Skill!.Mase, skill.GetProperty("mase").GetDouble());
            Assert.Equal(expected.Skill.Protocol, skill.GetProperty("protocol").GetString());
        }
        var missing = await Predict("US_MI", JsonSerializer.Serialize(new { rows = rows.Select(r => r.Where(kv => kv.Key != "new_confirmed").ToDictionary()) }));
        Assert.Equal(400, missing.Status);
        Assert.Equal(noColumn.Body, missing.Body);
        var export = await api.Export(ApiHost.Request("GET", "/api/models/US_MI/student.safetensors"), "US_MI", "safetensors", default);
        Assert.IsType<Microsoft.AspNetCore.Mvc.FileContentResult>(export);
        var sidecar = ApiHost.Read(await api.Export(ApiHost.Request("GET", "/api/models/US_MI/student.json"), "US_MI", "json", default));
        Assert.Contains("new_hospitalized_patients", sidecar.Body);
        Assert.Equal(404, ApiHost.Read(await api.Get(ApiHost.Request("GET", "/api/models/US_CA"), "US_CA", default)).Status);

        // A newer version in the same folder is new data: one more run, refused again (no champion to compare with).
        await store.WriteAsync("datasets/US_FL/2021-02-09.csv", UsFl(dropLastRows: 3));
        var second = await watcher.CheckOneAsync(durable.Client, entry);
        Assert.Equal("started", second.Action);
        var secondDecision = (await Finished(second.InstanceId!)).ReadOutputAs<ChampionDecision>()!;
        Assert.Null(secondDecision.PreviousChampion);
        Assert.Equal("baseline", secondDecision.Outcome);
        Assert.Equal(2, (await new ChampionRegistry(store).HistoryAsync("US_FL")).Count);
    }

    private async Task<List<OrchestrationMetadata>> Instances()
    {
        var all = new List<OrchestrationMetadata>();
        await foreach (var instance in durable.Client.GetAllInstancesAsync(new OrchestrationQuery { PageSize = 100 })) all.Add(instance);
        return all;
    }

    [Fact]
    public async Task The_timer_starts_one_retraining_on_new_data_and_none_on_the_next_tick_without_it()
    {
        // As the Functions host calls it: the class from the app's services, a TimerInfo, the durable client.
        var functions = ActivatorUtilities.CreateInstance<RetrainFunctions>(durable.Services);
        TimerInfo Tick() => new()
        {
            IsPastDue = false,
            ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddDays(-1), Next = DateTime.UtcNow.AddDays(1), LastUpdated = DateTime.UtcNow },
        };
        await store.WriteAsync("datasets/US_WA/2021-02-08.csv", UsFl());
        Assert.Empty(await Instances());

        var first = Assert.Single(await functions.CheckWatchedDatasets(Tick(), durable.Client, default));
        Assert.Equal(("US_WA", "started"), (first.Location, first.Action));
        Assert.Equal(DatasetWatcher.RetrainInstanceId("US_WA", first.Fingerprint!), first.InstanceId);
        var retraining = Assert.Single(await Instances(), i => i.Name == nameof(RetrainOrchestrator));
        Assert.Equal(first.InstanceId, retraining.InstanceId);
        var done = await Finished(first.InstanceId!);
        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ErrorMessage);
        Assert.Equal("baseline", done.ReadOutputAs<ChampionDecision>()!.Outcome); // untrained: worse than persistence
        // The retraining and the experiment it ran as a sub-orchestration.
        var afterFirst = (await Instances()).Select(i => i.InstanceId).Order().ToList();
        Assert.Equal(new[] { first.InstanceId!, done.ReadOutputAs<ChampionDecision>()!.RunId }.Order(), afterFirst);

        var second = Assert.Single(await functions.CheckWatchedDatasets(Tick(), durable.Client, default));
        Assert.Equal("unchanged", second.Action);
        Assert.Null(second.InstanceId);
        Assert.Equal(afterFirst, (await Instances()).Select(i => i.InstanceId).Order().ToList());
    }

    [Fact]
    public async Task Simultaneous_triggers_for_the_same_new_data_start_one_run()
    {
        await store.WriteAsync("datasets/US_TX/v1.csv", UsFl());
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ =>
            Task.Run(() => watcher.CheckOneAsync(durable.Client, DataSpec.Parse("blob:datasets/US_TX/")))));
        Assert.Single(outcomes, o => o.Action == "started");
        Assert.All(outcomes.Where(o => o.Action != "started"), o => Assert.Equal("skipped", o.Action));
        Assert.Single(outcomes.Select(o => o.InstanceId).Distinct());
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await Finished(outcomes[0].InstanceId!)).RuntimeStatus);
    }

    [Fact]
    public async Task A_failed_retraining_is_restarted_by_the_next_trigger_and_completes()
    {
        await store.WriteAsync("datasets/US_GA/v1.csv", UsFl());
        store.FailWritesUnder = "runs/";
        var first = await watcher.CheckOneAsync(durable.Client, DataSpec.Parse("blob:datasets/US_GA/"));
        Assert.Equal("started", first.Action);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await Finished(first.InstanceId!)).RuntimeStatus);

        store.FailWritesUnder = null;
        var retry = await watcher.CheckOneAsync(durable.Client, DataSpec.Parse("blob:datasets/US_GA/"));
        Assert.Equal("restarted", retry.Action);
        Assert.Equal(first.InstanceId, retry.InstanceId);
        var done = await Finished(retry.InstanceId!);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, done.RuntimeStatus);
        Assert.Equal("baseline", done.ReadOutputAs<ChampionDecision>()!.Outcome); // untrained: worse than persistence
    }

    [Fact]
    public async Task Upload_validates_before_storing_and_retrain_now_starts_a_run()
    {
        var api = new DatasetApi(store, Options.Create(options), watcher);
        async Task<(int Status, string Body)> Upload(string location, byte[] csv, string query = "")
        {
            var request = ApiHost.Request("POST", $"/api/datasets/{location}");
            request.Body = new MemoryStream(csv);
            request.ContentLength = csv.Length;
            request.ContentType = "text/csv";
            request.QueryString = new Microsoft.AspNetCore.Http.QueryString(query);
            var (status, _, body) = ApiHost.Read(await api.Upload(request, location, durable.Client, default));
            return (status, body);
        }

        var (status, body) = await Upload("US_NY", "location_key,date,new_confirmed\nUS_NY,2020-01-01,5\n"u8.ToArray());
        Assert.Equal(400, status);
        Assert.Contains("new_hospitalized_patients", body);
        (status, body) = await Upload("../x", UsFl());
        Assert.Equal(400, status);
        (status, _) = await Upload("US_NY", UsFl(), "?retrain=later");
        Assert.Equal(400, status);
        Assert.Empty(await store.ListAsync("datasets/US_NY/"));

        (status, body) = await Upload("US_NY", UsFl(), "?retrain=now");
        Assert.Equal(201, status);
        using var json = JsonDocument.Parse(body);
        Assert.Single(await store.ListAsync("datasets/US_NY/"));
        var instance = json.RootElement.GetProperty("retraining").GetProperty("instanceId").GetString()!;
        Assert.Equal(OrchestrationRuntimeStatus.Completed, (await Finished(instance)).RuntimeStatus);

        (status, _) = await Upload("US_NY", new byte[(4 << 20) + 1]);
        Assert.Equal(413, status);
    }

    [Fact]
    public async Task A_watched_url_is_fetched_conditionally_and_stored_by_fingerprint()
    {
        using var server = new CsvServer(UsFl());
        var urlWatcher = new DatasetWatcher(store, new DataSourceOptions { AllowInsecureLoopback = true }, Tiny, 0.05, NullLogger.Instance);
        var entry = DataSpec.Parse($"US_AZ={server.Url}");
        var first = await urlWatcher.CheckOneAsync(durable.Client, entry);
        Assert.Equal("started", first.Action);
        Assert.True(await store.ExistsAsync(DatasetWatcher.DatasetPath("US_AZ", first.Fingerprint!)));
        await Finished(first.InstanceId!);
        var again = await urlWatcher.CheckOneAsync(durable.Client, entry);
        Assert.Equal("unchanged", again.Action);
        Assert.Equal(1, server.NotModifiedAnswers);
    }

    /// <summary>A loopback HTTP server for one CSV, answering If-None-Match with 304.</summary>
    private sealed class CsvServer : IDisposable
    {
        private readonly System.Net.HttpListener listener = new();
        private int notModified;
        public string Url { get; }
        public int NotModifiedAnswers => notModified;

        public CsvServer(byte[] content)
        {
            var port = AzuriteServer.FreePort();
            Url = $"http://127.0.0.1:{port}/US_AZ.csv";
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            listener.Start();
            _ = Task.Run(async () =>
            {
                while (listener.IsListening)
                {
                    System.Net.HttpListenerContext context;
                    try { context = await listener.GetContextAsync(); } catch { return; }
                    if (context.Request.Headers["If-None-Match"] == "\"v1\"")
                    {
                        Interlocked.Increment(ref notModified);
                        context.Response.StatusCode = 304;
                    }
                    else
                    {
                        context.Response.Headers["ETag"] = "\"v1\"";
                        await context.Response.OutputStream.WriteAsync(content);
                    }
                    context.Response.Close();
                }
            });
        }

        public void Dispose() => listener.Close();
    }
}

/// <summary>The same, on the Azure Storage provider (Azurite's queues and tables), as Durable Functions runs by default:
/// instance ids, purges and restarts behave as that backend's, not as the in-memory one's.</summary>
public sealed class RetrainingOnAzureStorageTests : RetrainingTests
{
    protected override DurableBackend Backend(AzuriteServer azurite) =>
        new DurableBackend.AzureStorage(azurite.ConnectionString, "retraining", TimeSpan.FromSeconds(30)) { MaxPollingInterval = TimeSpan.FromMilliseconds(500) };
}
