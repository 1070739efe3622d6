using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Retraining;
using Distillery.Serving;
using Distillery.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace Distillery.Functions.Http;

/// <summary>
/// GET /api/models/{location}: the champion; POST /api/models/{location}/predict: a forecast from the last input
/// days (persistence when no run's student beat it); GET /api/models/{location}/student.safetensors and student.json:
/// the champion student's weights and its feature list and scaling.
/// </summary>
public sealed class ModelApi(IArtifactStore store, IOptions<DistilleryOptions> options, ForecasterCache cache)
{
    private readonly DistilleryOptions options = options.Value;

    [Function("GetModel")]
    public async Task<IActionResult> Get(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{location}")] HttpRequest request,
        string location, CancellationToken ct)
    {
        var (state, error) = await DecidedOf(location, ct);
        if (error is not null) return error;
        var history = await new ChampionRegistry(store).HistoryAsync(location, ct);
        var served = state!.Champion is null ? Evaluation.PersistenceName : ModelKind.Student.Name();
        return ApiResults.Json(200, new { location, served, champion = state.Champion, challenger = state.Challenger, history });
    }

    [Function("Predict")]
    public async Task<IActionResult> Predict(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "models/{location}/predict")] HttpRequest request,
        string location, CancellationToken ct)
    {
        if (!DataSpec.IsLocationKey(location)) return ApiResults.BadRequest($"'{location}' is not a location key such as US_FL");
        var name = request.Query["model"].ToString();
        ModelKind model;
        try { model = name == "" ? ModelKind.Student : Forecaster.ParseKind(name); }
        catch (InvalidInputException e) { return ApiResults.BadRequest(e.Message); }
        // The size limit first: an oversized body is refused before any storage is touched.
        var (body, tooLarge) = await RequestBody.ReadAsync(request, options.MaxJsonBytes * 16, ct);
        if (tooLarge) return ApiResults.Problem(413, "Body too large", $"the body exceeds the {options.MaxJsonBytes * 16} byte limit");
        var (state, error) = await DecidedOf(location, ct);
        if (error is not null) return error;
        try
        {
            var rows = IsCsv(request) ? Forecaster.RowsFromCsv(new MemoryStream(body), body.Length + 1) : RowsFromJson(body);
            if (state!.Champion is null) return await PersistenceAsync(state, rows, ct);
            using var lease = await cache.RentAsync(state.Champion.RunId, model, ct);
            return ApiResults.Json(200, lease.Forecaster.Predict(rows));
        }
        catch (InvalidInputException e)
        {
            return ApiResults.BadRequest(e.Message);
        }
    }

    [Function("ExportStudent")]
    public async Task<IActionResult> Export(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "models/{location}/student.{format}")] HttpRequest request,
        string location, string format, CancellationToken ct)
    {
        if (format is not ("safetensors" or "json")) return ApiResults.NotFound($"no export 'student.{format}': use student.safetensors or student.json");
        var (state, error) = await ChampionOf(location, ct);
        if (error is not null) return error;
        var (weights, sidecar) = await ModelExport.StudentAsync(store, state!.Champion!.RunId, ct);
        return format == "safetensors"
            ? new FileContentResult(weights, "application/octet-stream") { FileDownloadName = $"{location}-student.safetensors" }
            : ApiResults.Json(200, sidecar);
    }

    /// <summary>No run's student beat persistence: persistence, shaped by the latest candidate's data, with its
    /// scores and why it was not promoted.</summary>
    private async Task<IActionResult> PersistenceAsync(LocationState state, IReadOnlyList<IReadOnlyDictionary<string, string>> rows,
        CancellationToken ct)
    {
        var candidate = state.Challenger!; // a decided location without a champion has one (DecidedOf)
        var (_, _, _, meta) = await Forecaster.LoadMetaAsync(store, candidate.RunId, ModelKind.Student, ct);
        var forecast = Forecaster.Persistence(meta, rows, await Forecaster.PersistenceBaselineAsync(store, candidate.RunId, ct));
        var decision = state.RecentDecisions.LastOrDefault(d => d.RunId == candidate.RunId);
        return ApiResults.Json(200, new
        {
            model = Evaluation.PersistenceName,
            forecast,
            quantileLevels = Scoring.QuantileLevels.Levels,
            reason = decision?.Reason ?? "no run's student beats persistence",
            candidate = new { runId = candidate.RunId, outcome = decision?.Outcome, skill = candidate.Skill },
        });
    }

    private async Task<(LocationState? State, IActionResult? Error)> ChampionOf(string location, CancellationToken ct)
    {
        var (state, error) = await DecidedOf(location, ct);
        return error is not null || state!.Champion is not null
            ? (state, error)
            : (null, ApiResults.NotFound($"location '{location}' has no champion model: no run's student beat persistence, which it serves"));
    }

    /// <summary>The location's state once a run was decided (a champion, or a candidate refused for persistence); 404 before.</summary>
    private async Task<(LocationState? State, IActionResult? Error)> DecidedOf(string location, CancellationToken ct)
    {
        if (!DataSpec.IsLocationKey(location)) return (null, ApiResults.BadRequest($"'{location}' is not a location key such as US_FL"));
        var state = await new ChampionRegistry(store).GetAsync(location, ct);
        return state.Champion is null && state.Challenger is null
            ? (null, ApiResults.NotFound($"location '{location}' has no champion model yet"))
            : (state, null);
    }

    private static bool IsCsv(HttpRequest request) =>
        request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true;

    private static IReadOnlyList<IReadOnlyDictionary<string, string>> RowsFromJson(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var rows = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("rows", out var inner)
                ? inner : doc.RootElement;
            return Forecaster.RowsFromJson(rows);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"body is not valid JSON: {e.Message}");
        }
    }
}
