using System.Text;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Functions.Http;
using Distillery.Serving;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>
/// Every bad request the HTTP API can be sent, one row each: a 4xx application/problem+json whose message names the
/// problem, and nothing started or stored. Data that is only found bad when a run prepares it fails the orchestration
/// with the reason, and the run leaves no results.
/// </summary>
public class BadRequestTests(ApiHost host) : IClassFixture<ApiHost>
{
    private ApiHost Host => host;
    private ExperimentApi Experiments => new(host.Store, host.Options);

    private static string Many(int n) => string.Join(',', Enumerable.Range(0, n).Select(i => $"location:US_S{i}"));

    /// <summary>POST /api/experiments bodies: (body, field named in errors, text of its message).</summary>
    public static TheoryData<string, string, string> BadBodies => new()
    {
        { "{not json", "body", "is not valid JSON" },
        { "{\"epochs\": 5,}", "body", "is not valid JSON" },
        { "[1,2]", "body", "must be a JSON object" },
        { "\"run it\"", "body", "must be a JSON object" },
        { "null", "body", "must be a JSON object" },
        { """{"epochs": "ten"}""", "epochs", "must be an integer" },
        { """{"folds": 2.5}""", "folds", "must be an integer" },
        { """{"epochs": 1e12}""", "epochs", "must be an integer" },
        { """{"teacherLr": true}""", "teacherLr", "must be a number" },
        { """{"studentHidden": "50"}""", "studentHidden", "must be" },
        { """{"plotWindows": {"a": 1}}""", "plotWindows", "must be" },
        { """{"runId": 5}""", "runId", "must be a string" },
        { """{"location": ["US_FL"]}""", "location", "must be a string" },
        { """{"epocs": 5}""", "epocs", "is not a known field" },
        { """{"Epochs": 5}""", "Epochs", "is not a known field" },
        { """{"epochs": -1}""", "epochs", "must be between 0 and 100000, got -1" },
        { """{"batchSize": 0}""", "batchSize", "must be ≥ 1, got 0" },
        { """{"teacherLr": 0}""", "teacherLr", "must be a finite number > 0, got 0" },
        { """{"studentLr": -0.001}""", "studentLr", "must be a finite number > 0" },
        { """{"teacherLr": "NaN"}""", "teacherLr", "must be a finite number > 0, got NaN" },
        { """{"studentLr": "Infinity"}""", "studentLr", "must be a finite number > 0" },
        { """{"inputDays": 0}""", "inputDays", "must be between 1 and 365, got 0" },
        { """{"outputDays": 0}""", "outputDays", "must be between 1 and 365, got 0" },
        { """{"folds": 1}""", "folds", "must be between 2 and 100, got 1" },
        { """{"folds": 1000}""", "folds", "must be between 2 and 100, got 1000" },
        { """{"alpha": 1.5}""", "alpha", "must be between 0 and 1, got 1.5" },
        { """{"alpha": -0.5}""", "alpha", "must be between 0 and 1, got -0.5" },
        { """{"protocol": "leaky"}""", "protocol", "must be one of study, leakage-free, both, got 'leaky'" },
        { """{"target": ""}""", "target", "must name a column" },
        { """{"threads": 0}""", "threads", "must be between 1 and 256, got 0" },
        { """{"seed": -1}""", "seed", "must be ≥ 0, got -1" },
        { """{"studentHidden": []}""", "studentHidden", "must list 1 to 16 widths" },
        { """{"studentLayers": 9}""", "studentLayers", "must be between 1 and 8, got 9" },
        { """{"plotWindows": [-1]}""", "plotWindows", "each ≥ 0" },
        { $$"""{"data": "{{Many(21)}}"}""", "data", "at most 20 sources" },
        { """{"data": "/etc/passwd"}""", "data", "must be an https:// URL, location:KEY or blob:datasets/" },
        { """{"data": "../../etc/passwd"}""", "data", "must be an https:// URL" },
        { """{"data": "blob:datasets/../runs/x/results.json"}""", "data", "a clean path" },
        { """{"data": "blob:datasets/US_FL%2F..%2F..%2Fx.csv"}""", "data", "a clean path" },
        { """{"data": "blob:runs/x/results.json"}""", "data", "blob:datasets/" },
        { """{"data": "http://storage.googleapis.com/covid19-open-data/v3/location/US_FL.csv"}""", "data", "must be an https:// URL" },
        { """{"data": "file:///etc/passwd"}""", "data", "must be an https:// URL" },
        { """{"data": "https://example.com/US_FL.csv"}""", "data", "host 'example.com' is not allowed" },
        { """{"data": "https://storage.googleapis.com.evil.example/US_FL.csv"}""", "data", "is not allowed" },
        { """{"data": "https://user:secret@storage.googleapis.com/x.csv"}""", "data", "URLs with user credentials are not allowed" },
        { """{"location": "../US_FL"}""", "location", "'../US_FL' is not a location key" },
        { """{"location": "us_fl"}""", "location", "'us_fl' is not a location key" },
        { """{"location": "US_FL/../../x"}""", "location", "is not a location key" },
        { """{"location": "US_FL", "data": "https://storage.googleapis.com/x.csv"}""", "location", "give either location or data" },
        { """{"runId": "../../etc"}""", "runId", "must be 1–64 letters, digits, '-' or '_'" },
        { """{"runId": "a%2Fb"}""", "runId", "must be 1–64 letters" },
        { """{"runId": "a/b"}""", "runId", "must be 1–64 letters" },
        { $$"""{"runId": "{{new string('a', 65)}}"}""", "runId", "must be 1–64 letters" },
        { """{"earlyStoppingPatience": 0}""", "earlyStoppingPatience", "must be between 1 and 100000" },
        { """{"earlyStoppingPatience": "5"}""", "earlyStoppingPatience", "must be an integer" },
        { """{"earlyStoppingPatience": 5, "validationFraction": 0.9}""", "validationFraction", "must be > 0 and ≤ 0.5" },
        { """{"validationFraction": 0.2}""", "validationFraction", "only applies with earlyStoppingPatience" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_body_is_a_400_problem_naming_the_field_and_starts_nothing(string body, string field, string named)
    {
        var runs = await host.Store.ListAsync("runs/");
        var (status, type, text) = ApiHost.Read(await Experiments.Start(ApiHost.Request("POST", "/api/experiments", body), host.Durable.Client, default));
        Assert.Equal(400, status);
        Assert.Equal(ApiResults.ProblemJson, type);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(400, json.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(field, json.RootElement.GetProperty("detail").GetString());
        Assert.True(json.RootElement.GetProperty("errors").TryGetProperty(field, out var messages), text);
        Assert.Contains(named, messages[0].GetString());
        Assert.Equal(runs, await host.Store.ListAsync("runs/")); // no run stored (nor started: a run's settings come first)
    }

    private static HttpRequest Body(string path, byte[] content, string type, bool chunked = false, string query = "")
    {
        var request = ApiHost.Request("POST", path);
        request.Body = new MemoryStream(content);
        request.ContentLength = chunked ? null : content.Length;
        request.ContentType = type;
        request.QueryString = new QueryString(query);
        return request;
    }

    private DatasetApi Datasets => new(host.Store, Options.Create(host.Options.Value with { MaxUploadBytes = 1 << 20 }),
        new DatasetWatcher(host.Store, new Distillery.Data.DataSourceOptions(), new ExperimentSettings { Folds = 2, Epochs = 0 }, 0.05, NullLogger.Instance));

    private ModelApi Models => new(host.Store, host.Options, new ForecasterCache(host.Store));

    private static readonly string UsFlHeader = File.ReadLines(RepoPaths.UsFl).First();

    /// <summary>Other endpoints: name → (the call, expected status, text the problem's detail must contain).</summary>
    private static readonly Dictionary<string, (Func<BadRequestTests, Task<IActionResult>> Call, int Status, string Named)> Requests = new()
    {
        ["POST experiments: body over the limit"] = (t => t.Experiments.Start(Body("/api/experiments",
            Encoding.UTF8.GetBytes("{\"target\": \"" + new string('x', 5000) + "\"}"), "application/json"), t.Host.Durable.Client, default), 413, "4096 byte limit"),
        ["POST experiments: chunked body over the limit"] = (t => t.Experiments.Start(Body("/api/experiments",
            Encoding.UTF8.GetBytes("{\"target\": \"" + new string('x', 5000) + "\"}"), "application/json", chunked: true), t.Host.Durable.Client, default), 413, "4096 byte limit"),
        ["POST experiments: run id already used"] = (async t =>
        {
            await RunSettings.StoreAsync(t.Host.Store, "taken", new ExperimentSettings { Epochs = 3 });
            return await t.Experiments.Start(ApiHost.Request("POST", "/api/experiments", """{"runId": "taken", "epochs": 0}"""), t.Host.Durable.Client, default);
        }, 409, "already exists with other settings"),
        ["POST experiments: blob dataset not uploaded"] = (t => t.Experiments.Start(ApiHost.Request("POST", "/api/experiments",
            """{"data": "blob:datasets/US_FL/none.csv"}"""), t.Host.Durable.Client, default), 400, "the data source does not exist"),
        ["GET experiment: id with ../"] = (t => t.Experiments.Get(ApiHost.Request("GET", "/x"), "../etc", t.Host.Durable.Client, default), 400, "is not a run id"),
        ["GET experiment: id with %2F"] = (t => t.Experiments.Get(ApiHost.Request("GET", "/x"), "a%2Fb", t.Host.Durable.Client, default), 400, "is not a run id"),
        ["GET experiment: id with a slash"] = (t => t.Experiments.Get(ApiHost.Request("GET", "/x"), "a/b", t.Host.Durable.Client, default), 400, "is not a run id"),
        ["GET experiment: id too long"] = (t => t.Experiments.Get(ApiHost.Request("GET", "/x"), new string('a', 65), t.Host.Durable.Client, default), 400, "is not a run id"),
        ["GET experiment: unknown id"] = (t => t.Experiments.Get(ApiHost.Request("GET", "/x"), "no-such-run", t.Host.Durable.Client, default), 404, "no run 'no-such-run'"),
        ["GET results: id with ../"] = (t => t.Experiments.Results(ApiHost.Request("GET", "/x"), "..", default), 400, "is not a run id"),
        ["GET results: unfinished run"] = (t => t.Experiments.Results(ApiHost.Request("GET", "/x"), "no-such-run", default), 404, "has no results"),
        ["GET report: id with %2F"] = (t => t.Experiments.Report(ApiHost.Request("GET", "/x"), "..%2Fsecrets", default), 400, "is not a run id"),
        ["GET chart: name with ../"] = (t => t.Experiments.Chart(ApiHost.Request("GET", "/x"), "run1", "../../state.png", default), 400, "is not a chart name"),
        ["POST datasets: location with ../"] = (t => t.Datasets.Upload(Body("/api/datasets/x", "date,x\n"u8.ToArray(), "text/csv"), "../x", t.Host.Durable.Client, default), 400, "is not a location key"),
        ["POST datasets: location in lower case"] = (t => t.Datasets.Upload(Body("/api/datasets/x", "date,x\n"u8.ToArray(), "text/csv"), "us_fl", t.Host.Durable.Client, default), 400, "is not a location key"),
        ["POST datasets: unknown retrain value"] = (t => t.Datasets.Upload(Body("/api/datasets/x", "date,x\n"u8.ToArray(), "text/csv", query: "?retrain=later"), "US_NY", t.Host.Durable.Client, default), 400, "retrain must be 'now' or absent"),
        ["POST datasets: body over the limit"] = (t => t.Datasets.Upload(Body("/api/datasets/x", new byte[(1 << 20) + 1], "text/csv"), "US_NY", t.Host.Durable.Client, default), 413, "1048576 byte limit"),
        ["POST datasets: chunked body over the limit"] = (t => t.Datasets.Upload(Body("/api/datasets/x", new byte[(1 << 20) + 1], "text/csv", chunked: true), "US_NY", t.Host.Durable.Client, default), 413, "1048576 byte limit"),
        ["POST datasets: header only"] = (t => t.Datasets.Upload(Body("/api/datasets/x", Encoding.UTF8.GetBytes(UsFlHeader + "\n"), "text/csv"), "US_NY", t.Host.Durable.Client, default), 400, "header but no data rows"),
        ["POST datasets: semicolons"] = (t => t.Datasets.Upload(Body("/api/datasets/x", Encoding.UTF8.GetBytes(UsFlHeader.Replace(',', ';') + "\n1;2\n"), "text/csv"), "US_NY", t.Host.Durable.Client, default), 400, "semicolons (;)"),
        ["POST datasets: binary"] = (t => t.Datasets.Upload(Body("/api/datasets/x", [0x50, 0x4B, 0x03, 0x04, 0x00, 0x00], "text/csv"), "US_NY", t.Host.Durable.Client, default), 400, "not a CSV text file"),
        ["POST datasets: target missing"] = (t => t.Datasets.Upload(Body("/api/datasets/x", "date,new_confirmed\n2020-01-01,5\n"u8.ToArray(), "text/csv"), "US_NY", t.Host.Durable.Client, default), 400, "target column 'new_hospitalized_patients' not found"),
        ["POST datasets: too few rows"] = (t => t.Datasets.Upload(Body("/api/datasets/x", Encoding.UTF8.GetBytes(string.Join('\n', File.ReadLines(RepoPaths.UsFl).Take(300).TakeLast(21).Prepend(UsFlHeader))), "text/csv"), "US_NY", t.Host.Durable.Client, default), 400, "windowing needs at least 25 rows"),
        ["GET models: location with ../"] = (t => t.Models.Get(ApiHost.Request("GET", "/x"), "../x", default), 400, "is not a location key"),
        ["GET models: no champion yet"] = (t => t.Models.Get(ApiHost.Request("GET", "/x"), "US_WY", default), 404, "has no champion model yet"),
        ["POST predict: location with %2F"] = (t => t.Models.Predict(Body("/x", "{}"u8.ToArray(), "application/json"), "US%2F..", default), 400, "is not a location key"),
        ["POST predict: unknown model"] = (t => t.Models.Predict(Body("/x", "{}"u8.ToArray(), "application/json", query: "?model=oracle"), "US_WY", default), 400, "model must be student or teacher"),
        ["POST predict: body over the limit"] = (t => t.Models.Predict(Body("/x", new byte[(64 << 10) + 1], "application/json"), "US_WY", default), 413, "65536 byte limit"),
        ["GET export: unknown format"] = (t => t.Models.Export(ApiHost.Request("GET", "/x"), "US_WY", "exe", default), 404, "no export 'student.exe'"),
    };

    public static TheoryData<string> RequestNames => new(Requests.Keys);

    [Theory]
    [MemberData(nameof(RequestNames))]
    public async Task A_bad_request_is_a_4xx_problem_naming_the_problem(string name)
    {
        var (call, expected, named) = Requests[name];
        var (status, type, text) = ApiHost.Read(await call(this));
        Assert.Equal(expected, status);
        Assert.Equal(ApiResults.ProblemJson, type);
        using var json = JsonDocument.Parse(text);
        Assert.Equal(expected, json.RootElement.GetProperty("status").GetInt32());
        Assert.Contains(named, json.RootElement.GetProperty("detail").GetString());
        Assert.Empty(await host.Store.ListAsync("datasets/US_NY/"));
    }

    [Fact]
    public void The_tables_cover_at_least_eighty_bad_requests() =>
        Assert.True(BadBodies.Count + Requests.Count >= 80, $"{BadBodies.Count} bodies + {Requests.Count} requests");

    /// <summary>Datasets that pass the request's checks (they exist) but are found bad when the run prepares them.</summary>
    public static TheoryData<string> LateFailures => new() { "too few windows for the folds", "target all zeros", "duplicate dates", "text in a numeric column" };

    [Theory]
    [MemberData(nameof(LateFailures))]
    public async Task Data_found_bad_by_the_run_fails_the_orchestration_with_the_reason_and_leaves_no_results(string name)
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var header = lines[0].Split(',');
        string Set(string line, string column, string value)
        {
            var fields = line.Split(',');
            fields[Array.IndexOf(header, column)] = value;
            return string.Join(',', fields);
        }
        var rows = lines[^60..];
        var (csv, folds, reason) = name switch
        {
            "too few windows for the folds" => (rows[..30], 10, "folds must be between 2 and the number of windows (6), got 10"),
            "target all zeros" => (rows.Select(r => Set(r, "new_hospitalized_patients", "0")).ToArray(), 2, "was dropped by the cleaning rule"),
            "duplicate dates" => (rows.Select((r, i) => i == 9 ? Set(r, "date", rows[8].Split(',')[1]) : r).ToArray(), 2, "duplicate date"),
            "text in a numeric column" => (rows.Select((r, i) => i == 9 ? Set(r, "new_confirmed", "many") : r).ToArray(), 2, "value 'many'"),
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
        var key = "late-" + name.Replace(' ', '-');
        await host.Store.WriteAsync($"datasets/US_FL/{key}.csv", Encoding.UTF8.GetBytes(string.Join('\n', [lines[0], .. csv]) + "\n"));

        var body = $$"""{"runId": "{{key}}", "folds": {{folds}}, "epochs": 0, "data": "blob:datasets/US_FL/{{key}}.csv"}""";
        var (status, _, _) = ApiHost.Read(await Experiments.Start(ApiHost.Request("POST", "/api/experiments", body), host.Durable.Client, default));
        Assert.Equal(202, status);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var state = await host.Durable.Client.WaitForInstanceCompletionAsync(key, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, state.RuntimeStatus);
        Assert.Contains(reason, state.FailureDetails!.ErrorMessage);
        Assert.True(state.FailureDetails.IsCausedBy<InvalidInputException>());

        var (getStatus, _, text) = ApiHost.Read(await Experiments.Get(ApiHost.Request("GET", "/x"), key, host.Durable.Client, default));
        Assert.Equal(200, getStatus);
        using var json = JsonDocument.Parse(text);
        Assert.Equal("Failed", json.RootElement.GetProperty("runtimeStatus").GetString());
        Assert.Contains(reason, json.RootElement.GetProperty("failure").GetProperty("errorMessage").GetString());
        Assert.Equal(404, ApiHost.Read(await Experiments.Results(ApiHost.Request("GET", "/x"), key, default)).Status);
        var stored = await host.Store.ListAsync($"runs/{key}/");
        Assert.Equal([$"runs/{key}/settings.json"], stored); // the settings it was started with, and nothing else
    }
}
