using System.Reflection;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Functions;
using Distillery.Functions.Http;
using Microsoft.Azure.Functions.Worker;

namespace Distillery.Tests.Functions;

public class ExperimentApiTests(ApiHost host) : IClassFixture<ApiHost>
{
    private ExperimentApi Api => new(host.Store, host.Options);

    private async Task<(int Status, string ContentType, JsonElement Json)> Post(string body)
    {
        var (status, type, text) = ApiHost.Read(await Api.Start(ApiHost.Request("POST", "/api/experiments", body), host.Durable.Client, default));
        return (status, type, JsonDocument.Parse(text).RootElement.Clone());
    }

    private async Task<(int Status, string ContentType, JsonElement Json)> Get(string id)
    {
        var (status, type, text) = ApiHost.Read(await Api.Get(ApiHost.Request("GET", $"/api/experiments/{id}"), id, host.Durable.Client, default));
        return (status, type, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Post_starts_a_run_that_completes_with_results_in_blob_storage()
    {
        var (status, _, json) = await Post($$"""{"folds": 2, "epochs": 0, "runId": "api-run", "data": "blob:datasets/US_FL/2021-02-08.csv"}""");
        Assert.Equal(400, status); // the dataset is not uploaded yet: named, not started
        Assert.Contains("not found", json.GetProperty("errors").GetProperty("data")[0].GetString());

        await host.Store.WriteAsync("datasets/US_FL/2021-02-08.csv", await File.ReadAllBytesAsync(RepoPaths.UsFl));
        (status, _, json) = await Post("""{"folds": 2, "epochs": 0, "runId": "api-run", "data": "blob:datasets/US_FL/2021-02-08.csv"}""");
        Assert.Equal(202, status);
        Assert.Equal("api-run", json.GetProperty("id").GetString());
        Assert.Equal("https://distillery.example/api/experiments/api-run", json.GetProperty("statusQueryGetUri").GetString());

        var before = ApiHost.Read(await Api.Results(ApiHost.Request("GET", "/api/experiments/api-run/results"), "api-run", default));
        Assert.Equal(404, before.Status);

        JsonElement state;
        var deadline = DateTime.UtcNow.AddMinutes(3);
        do
        {
            await Task.Delay(300);
            (status, _, state) = await Get("api-run");
            Assert.Equal(200, status);
        } while (state.GetProperty("runtimeStatus").GetString() is "Pending" or "Running" && DateTime.UtcNow < deadline);
        Assert.Equal("Completed", state.GetProperty("runtimeStatus").GetString());
        Assert.Equal("completed", state.GetProperty("progress").GetProperty("phase").GetString());
        Assert.InRange(state.GetProperty("summary").GetProperty("bestTeacherFold").GetInt32(), 1, 2);

        var results = ApiHost.Read(await Api.Results(ApiHost.Request("GET", "/api/experiments/api-run/results"), "api-run", default));
        Assert.Equal(200, results.Status);
        using var doc = JsonDocument.Parse(results.Body);
        Assert.Equal("blob:datasets/US_FL/2021-02-08.csv", doc.RootElement.GetProperty("dataset").GetProperty("source").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("folds").GetArrayLength());
        Assert.True(await host.Store.ExistsAsync("runs/api-run/models/student-fold2.safetensors"));
        Assert.Equal(2, (await RunSettings.LoadAsync(host.Store, "api-run"))!.Folds); // stored at the start: resumable

        var report = await Api.Report(ApiHost.Request("GET", "/api/experiments/api-run/report"), "api-run", default);
        var (reportStatus, reportType, reportHtml) = ApiHost.Read(report);
        Assert.Equal(200, reportStatus);
        Assert.StartsWith("text/html", reportType);
        Assert.Contains("Distillery report", reportHtml);
        Assert.Contains("data:image/png;base64,", reportHtml);
        var chart = Assert.IsType<Microsoft.AspNetCore.Mvc.FileContentResult>(
            await Api.Chart(ApiHost.Request("GET", "/api/experiments/api-run/charts/teacher-train-loss.png"), "api-run", "teacher-train-loss.png", default));
        Assert.Equal("image/png", chart.ContentType);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, chart.FileContents[..4]);
        Assert.Equal(404, ApiHost.Read(await Api.Chart(ApiHost.Request("GET", "/x"), "api-run", "no-such-chart", default)).Status);

        (status, _, json) = await Post("""{"folds": 2, "epochs": 0, "runId": "api-run"}""");
        Assert.Equal(409, status);
    }

    [Fact]
    public async Task Post_with_both_protocols_completes_with_a_part_each_and_the_combined_report()
    {
        // Two experiments in one run end in the CombineActivity function: a run that fails without it.
        await host.Store.WriteAsync("datasets/US_FL/both.csv", await File.ReadAllBytesAsync(RepoPaths.UsFl));
        var (status, _, _) = await Post("""{"folds": 2, "epochs": 0, "protocol": "both", "runId": "api-both", "data": "blob:datasets/US_FL/both.csv"}""");
        Assert.Equal(202, status);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var done = await host.Durable.Client.WaitForInstanceCompletionAsync("api-both", getInputsAndOutputs: true, timeout.Token);
        Assert.True(done.RuntimeStatus == Microsoft.DurableTask.Client.OrchestrationRuntimeStatus.Completed,
            $"{done.RuntimeStatus}: {done.FailureDetails?.ErrorType} {done.FailureDetails?.ErrorMessage}");

        var (_, _, state) = await Get("api-both");
        Assert.Equal("Completed", state.GetProperty("runtimeStatus").GetString());
        var results = ApiHost.Read(await Api.Results(ApiHost.Request("GET", "/api/experiments/api-both/results"), "api-both", default));
        Assert.Equal(200, results.Status);
        using var index = JsonDocument.Parse(results.Body);
        Assert.Equal(["study", "leakage-free"],
            index.RootElement.GetProperty("parts").EnumerateArray().Select(p => p.GetProperty("protocol").GetString()));
        foreach (var part in new[] { "study", "leakage-free" })
            Assert.True(await host.Store.ExistsAsync($"runs/api-both/{part}/results.json"), part);
        var (reportStatus, _, html) = ApiHost.Read(await Api.Report(ApiHost.Request("GET", "/api/experiments/api-both/report"), "api-both", default));
        Assert.Equal(200, reportStatus);
        Assert.Contains("· leakage-free protocol", html); // a section of the combined report
    }

    // Bad bodies, ids and limits of every endpoint: BadRequestTests.

    [Fact]
    public async Task Several_bad_fields_are_all_named()
    {
        var (status, _, json) = await Post("""{"epochs": -1, "folds": 1, "alpha": 2}""");
        Assert.Equal(400, status);
        var names = json.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Contains("alpha", names); // unknown: reported first, the rest after it is fixed
        (status, _, json) = await Post("""{"epochs": -1, "folds": 1}""");
        names = json.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Equal(["epochs", "folds"], names.Order());
    }

    [Theory]
    [InlineData("no-such-run", 404)]
    [InlineData("../etc", 400)]
    [InlineData("a%2Fb", 400)]
    public async Task Unknown_or_unsafe_ids_are_refused(string id, int expected)
    {
        var (status, type, _) = await Get(id);
        Assert.Equal(expected, status);
        Assert.Equal("application/problem+json", type);
        var results = ApiHost.Read(await Api.Results(ApiHost.Request("GET", "/x"), id, default));
        Assert.Equal(expected, results.Status);
    }

    [Fact]
    public void Functions_metadata_lists_every_function()
    {
        var names = typeof(ExperimentApi).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Select(m => m.GetCustomAttribute<FunctionAttribute>()?.Name)
            .OfType<string>()
            .ToHashSet();
        var metadata = Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "src", "Distillery.Functions", "bin"), "functions.metadata", SearchOption.AllDirectories)
            .OrderByDescending(File.GetLastWriteTimeUtc).First();
        using var doc = JsonDocument.Parse(File.ReadAllText(metadata));
        var listed = doc.RootElement.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToHashSet();
        Assert.Equal(names.Order(), listed.Order());
        Assert.Contains("ExperimentOrchestrator", listed);
        Assert.Contains("TrainTeacherActivity", listed);
    }

    [Fact]
    public void Settings_come_from_the_app_settings_with_defaults()
    {
        var options = AppSettings.Options(("DATA_URL_ALLOWLIST", "storage.googleapis.com; example.org"), ("CHAMPION_TOLERANCE", "0.1"),
            ("MAX_UPLOAD_BYTES", " "), ("ARTIFACTS_CONTAINER", "runs2"));
        Assert.Equal(["storage.googleapis.com", "example.org"], options.UrlAllowList);
        Assert.Equal(0.1, options.ChampionTolerance);
        Assert.Equal("runs2", options.ArtifactsContainer);
        Assert.Equal(new DistilleryOptions().MaxUploadBytes, options.MaxUploadBytes); // blank: the default
    }
}
