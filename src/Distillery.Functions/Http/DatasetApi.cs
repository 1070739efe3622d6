using Distillery.Data;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Distillery.Functions.Http;

/// <summary>
/// POST /api/datasets/{location}: upload a new dataset version (CSV body). It is validated with the loader and the
/// study's cleaning before anything is stored, kept at datasets/{location}/{fingerprint}.csv, and retrained on at the
/// next timer tick, or at once with ?retrain=now.
/// </summary>
public sealed class DatasetApi(IArtifactStore store, IOptions<DistilleryOptions> options, DatasetWatcher watcher)
{
    private readonly DistilleryOptions options = options.Value;

    [Function("UploadDataset")]
    public async Task<IActionResult> Upload(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "datasets/{location}")] HttpRequest request,
        string location, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        if (!DataSpec.IsLocationKey(location))
            return ApiResults.BadRequest($"'{location}' is not a location key such as US_FL");
        var retrain = request.Query["retrain"].ToString();
        if (retrain is not ("" or "now"))
            return ApiResults.BadRequest($"retrain must be 'now' or absent, got '{retrain}'");
        var (body, tooLarge) = await RequestBody.ReadAsync(request, options.MaxUploadBytes, ct);
        if (tooLarge) return ApiResults.Problem(413, "Body too large", $"the dataset exceeds the {options.MaxUploadBytes} byte limit");

        try
        {
            watcher.Validate(body, $"upload for {location}");
        }
        catch (InvalidInputException e)
        {
            return ApiResults.BadRequest(e.Message);
        }
        var fingerprint = Fingerprints.Of(body);
        var path = DatasetWatcher.DatasetPath(location, fingerprint);
        if (!await store.ExistsAsync(path, ct)) await store.WriteAsync(path, body, ct);

        WatchOutcome? started = retrain == "now"
            ? await watcher.StartRetrainAsync(client, location, path, fingerprint, "upload", ct)
            : null;
        return ApiResults.Json(201, new { location, path, fingerprint, retraining = started });
    }
}
