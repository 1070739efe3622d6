using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Distillery.Functions.Http;

/// <summary>
/// POST /api/experiments starts a run; GET /api/experiments lists the runs of the hub, a page at a time;
/// GET /api/experiments/{id} shows its status and progress; GET /api/experiments/{id}/results returns results.json
/// once it is finished.
/// </summary>
public sealed class ExperimentApi(IArtifactStore store, IOptions<DistilleryOptions> options)
{
    private readonly DistilleryOptions options = options.Value;

    [Function("StartExperiment")]
    public async Task<IActionResult> Start(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "experiments")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var (body, tooLarge) = await RequestBody.ReadAsync(request, options.MaxJsonBytes, ct);
        if (tooLarge) return ApiResults.Problem(413, "Body too large", $"the body exceeds the {options.MaxJsonBytes} byte limit");
        var (parsed, errors) = ExperimentBody.Parse(body, options.UrlAllowList);
        if (parsed is null) return ApiResults.BadRequest($"invalid experiment settings: {string.Join(", ", errors.Keys)}", errors);

        foreach (var blob in parsed.Settings.Sources.OfType<DataSpec.Blob>())
            if (!await store.ExistsAsync(blob.Path, ct))
                return ApiResults.BadRequest("the data source does not exist",
                    new Dictionary<string, string[]> { ["data"] = [$"'{blob}' not found in {store.Describe()}"] });

        var runId = parsed.RunId ?? RunIds.New(DateTime.UtcNow, Guid.NewGuid());
        // A run id names one experiment. The same POST again (a client retrying after a timeout, a double click, two
        // at once) is answered 202 with the same run, as an idempotency key would be; only other settings under a
        // taken id are a conflict (409). The settings are stored before the run starts, so it can be resumed
        // (distillery run --resume) with the settings it began with.
        var existing = await client.GetInstanceAsync(runId, ct);
        var stored = existing is null ? await RunSettings.StoreAsync(store, runId, parsed.Settings, ct) : await SameSettingsAsync(runId, parsed.Settings, ct);
        if (!stored)
            return ApiResults.Problem(409, "Run exists", $"a run with id '{runId}' already exists with other settings");
        if (existing is null) await StartOnceAsync(client, runId, parsed.Settings, ct);
        var links = Links(request, runId);
        request.HttpContext.Response.Headers.Location = links.StatusQueryGetUri;
        return ApiResults.Json(202, links);
    }

    public const int DefaultPageSize = 20, MaxPageSize = 100;

    [Function("ListExperiments")]
    public async Task<IActionResult> List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments")] HttpRequest request,
        [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var (pageSize, token, errors) = PageQuery(request.Query);
        if (errors.Count > 0) return ApiResults.BadRequest($"invalid query: {string.Join(", ", errors.Keys)}", errors);

        var query = new OrchestrationQuery { PageSize = pageSize, ContinuationToken = token, FetchInputsAndOutputs = false };
        Page<OrchestrationMetadata>? page = null;
        await foreach (var first in client.GetAllInstancesAsync(query).AsPages(token, pageSize).WithCancellation(ct))
        {
            page = first;
            break;
        }
        // Newest first within the page; which runs a page holds is the backend's order (Azure Storage: by id).
        var runs = (page?.Values ?? []).OrderByDescending(m => m.CreatedAt).ThenBy(m => m.InstanceId, StringComparer.Ordinal)
            .Select(m => new RunListItem(m.InstanceId, m.Name, m.RuntimeStatus.ToString(), m.CreatedAt, m.LastUpdatedAt))
            .ToList();
        // The backend's token, base64url: opaque to clients, safe in a URL, and a hand-made one is told apart (400).
        var continuation = page?.ContinuationToken is { Length: > 0 } next ? Base64Url.EncodeToString(Encoding.UTF8.GetBytes(next)) : null;
        var nextUri = continuation is null
            ? null
            : $"{request.Scheme}://{request.Host}/api/experiments?pageSize={pageSize}&continuationToken={continuation}";
        return ApiResults.Json(200, new RunList(runs, continuation, nextUri));
    }

    public sealed record RunListItem(string Id, string Name, string RuntimeStatus, DateTimeOffset CreatedAt, DateTimeOffset LastUpdatedAt);

    public sealed record RunList(IReadOnlyList<RunListItem> Runs, string? ContinuationToken, string? Next);

    private static (int PageSize, string? Token, Dictionary<string, string[]> Errors) PageQuery(IQueryCollection query)
    {
        var errors = new Dictionary<string, string[]>();
        var pageSize = DefaultPageSize;
        string? token = null;
        if (query.TryGetValue("pageSize", out var sizes))
        {
            if (sizes.Count != 1) errors["pageSize"] = ["give pageSize once"];
            else if (!int.TryParse(sizes[0], NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize)
                errors["pageSize"] = [$"pageSize must be an integer between 1 and {MaxPageSize}, got '{Clip(sizes[0])}'"];
        }
        if (query.TryGetValue("continuationToken", out var tokens))
        {
            if (tokens.Count != 1) errors["continuationToken"] = ["give continuationToken once"];
            else if (Decode(tokens[0]) is { } decoded) token = decoded;
            else errors["continuationToken"] = ["continuationToken must be the continuationToken of a previous page"];
        }
        return (pageSize, token, errors);

        static string? Decode(string? value)
        {
            if (string.IsNullOrEmpty(value) || value.Length > 8192 || !Base64Url.IsValid(value)) return null;
            try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Base64Url.DecodeFromChars(value)); }
            catch (ArgumentException) { return null; } // not UTF-8: not one of ours
        }

        static string Clip(string? value) => value is null ? "" : value.Length <= 20 ? value : value[..20] + "…";
    }

    private async Task<bool> SameSettingsAsync(string runId, ExperimentSettings settings, CancellationToken ct) =>
        await store.ReadAsync(new RunLayout(runId).Settings, ct) is { } bytes
        && bytes.AsSpan().SequenceEqual(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(settings, ArtifactStoreJson.Options));

    /// <summary>How long a start claim's request may take to schedule its orchestration before another takes over.</summary>
    public static readonly TimeSpan StartClaimTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A start claim: whoever creates it (create-if-absent) schedules the run; generation n + 1 is claimed
    /// only when n's request died before scheduling. Outside the run's folder, which holds only its settings and steps.</summary>
    public static string StartClaim(string runId, int generation) => $"state/runs/{RunIds.Validate(runId)}/start-{generation}";

    /// <summary>Schedules the orchestration once, whatever number of requests race here: scheduling an id twice would
    /// start it twice (the backend may even keep two ExecutionStarted events and never finish). Losers wait for the
    /// winner's instance to appear.</summary>
    private async Task StartOnceAsync(DurableTaskClient client, string runId, ExperimentSettings settings, CancellationToken ct)
    {
        for (var generation = 0; ; generation++)
        {
            var claim = StartClaim(runId, generation);
            if (await store.CreateNewAsync(claim, System.Text.Encoding.UTF8.GetBytes(DateTime.UtcNow.ToString("O")), ct))
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(ExperimentOrchestrator),
                    new ExperimentRequest(runId, settings), new StartOrchestrationOptions { InstanceId = runId }, ct);
                return;
            }
            var claimedUtc = await store.ReadAsync(claim, ct) is { } text
                             && DateTime.TryParse(System.Text.Encoding.UTF8.GetString(text), null, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
                ? at
                : DateTime.MinValue;
            while (true)
            {
                if (await client.GetInstanceAsync(runId, ct) is not null) return;
                if (DateTime.UtcNow - claimedUtc > StartClaimTimeout) break; // its request died before scheduling: next generation
                await Task.Delay(200, ct);
            }
        }
    }

    [Function("GetExperiment")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments/{id}")] HttpRequest request,
        string id, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        if (!RunIds.IsValid(id)) return InvalidId(id);
        var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true, ct);
        if (state is null) return ApiResults.NotFound($"no run '{id}'");
        return ApiResults.Json(200, new
        {
            id,
            runtimeStatus = state.RuntimeStatus.ToString(),
            createdAt = state.CreatedAt,
            lastUpdatedAt = state.LastUpdatedAt,
            progress = state.ReadCustomStatusAs<ExperimentProgress>(),
            summary = state.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? state.ReadOutputAs<RunSummary>() : null,
            failure = state.FailureDetails is { } f ? new { f.ErrorType, f.ErrorMessage } : null,
            links = Links(request, id),
        });
    }

    [Function("GetExperimentResults")]
    public Task<IActionResult> Results(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments/{id}/results")] HttpRequest request,
        string id, CancellationToken ct) =>
        Stored(id, layout => layout.Results, "application/json", "results (yet)", ct);

    [Function("GetExperimentReport")]
    public Task<IActionResult> Report(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments/{id}/report")] HttpRequest request,
        string id, CancellationToken ct) =>
        Stored(id, layout => layout.Report, "text/html; charset=utf-8", "report (yet)", ct);

    [Function("GetExperimentChart")]
    public async Task<IActionResult> Chart(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "experiments/{id}/charts/{name}")] HttpRequest request,
        string id, string name, CancellationToken ct)
    {
        var chart = name.EndsWith(".png", StringComparison.Ordinal) ? name[..^4] : name;
        if (!RunIds.IsValid(chart)) return ApiResults.BadRequest($"'{name}' is not a chart name");
        return await Stored(id, layout => $"{layout.Root}/charts/{chart}.png", "image/png", $"chart '{chart}'", ct);
    }

    /// <summary>An artifact of a run, by a path built only from the validated id.</summary>
    private async Task<IActionResult> Stored(string id, Func<RunLayout, string> path, string contentType, string what, CancellationToken ct)
    {
        if (!RunIds.IsValid(id)) return InvalidId(id);
        var bytes = await store.ReadAsync(path(new RunLayout(id)), ct);
        return bytes is null ? ApiResults.NotFound($"run '{id}' has no {what}") : new FileContentResult(bytes, contentType);
    }

    private static IActionResult InvalidId(string id) =>
        ApiResults.BadRequest($"'{id}' is not a run id: use 1–64 letters, digits, '-' or '_'");

    public sealed record RunLinks(string Id, string StatusQueryGetUri, string ResultsGetUri, string ReportGetUri);

    private static RunLinks Links(HttpRequest request, string id)
    {
        var api = $"{request.Scheme}://{request.Host}/api/experiments/{id}";
        return new RunLinks(id, api, $"{api}/results", $"{api}/report");
    }
}
