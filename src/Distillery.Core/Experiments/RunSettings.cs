using System.Text.Json;
using Distillery.Storage;

namespace Distillery.Experiments;

/// <summary>
/// A run's settings, stored at <see cref="RunLayout.Settings"/> before it starts, so that it can be resumed with
/// exactly the settings it began with (its finished steps are reused only under the same settings).
/// </summary>
public static class RunSettings
{
    /// <summary>Stores the settings of a new run. False when the run already has other settings stored (a run id
    /// cannot be reused for another experiment: its stored steps would be taken for this one's).</summary>
    public static async Task<bool> StoreAsync(IArtifactStore store, string runId, ExperimentSettings settings, CancellationToken ct = default)
    {
        var path = new RunLayout(RunIds.Validate(runId)).Settings;
        var bytes = JsonSerializer.SerializeToUtf8Bytes(settings, ArtifactStoreJson.Options);
        if (await store.CreateNewAsync(path, bytes, ct)) return true;
        var stored = await store.ReadAsync(path, ct);
        return stored is null ? await store.CreateNewAsync(path, bytes, ct) : stored.AsSpan().SequenceEqual(bytes);
    }

    /// <summary>The stored settings of a run, validated; null when the run has none.</summary>
    public static async Task<ExperimentSettings?> LoadAsync(IArtifactStore store, string runId, CancellationToken ct = default)
    {
        var path = new RunLayout(RunIds.Validate(runId)).Settings;
        var bytes = await store.ReadAsync(path, ct);
        if (bytes is null) return null;
        try
        {
            return (JsonSerializer.Deserialize<ExperimentSettings>(bytes, ArtifactStoreJson.Options)
                    ?? throw new JsonException("the file holds null")).Validated();
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path} in {store.Describe()} is not valid run settings: {e.Message}");
        }
    }
}
