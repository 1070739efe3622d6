using System.Text.Json;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Experiments;

/// <summary>
/// The stored artifacts of one experiment of a run, at the paths of its <see cref="RunLayout"/>. Everything a step
/// reuses is read verified against its SHA-256; everything it writes is followed by its hash, and the file whose hash
/// marks a step finished (dataset.json, a model's outcome) is written last.
/// </summary>
public sealed class RunArtifacts(IArtifactStore store, RunLayout layout)
{
    public IArtifactStore Store => store;
    public RunLayout Layout => layout;

    /// <summary>The stored dataset when every file of it (and, with per-fold preprocessing, of every fold) matches its
    /// stored hash; null when any is missing, unhashed or corrupt.</summary>
    public async Task<DatasetArtifact?> VerifiedDatasetAsync(EvaluationProtocol protocol, CancellationToken ct)
    {
        var meta = (await store.ReadCheckedAsync(layout.DatasetJson, ct)).VerifiedJson<DatasetArtifact>();
        if (meta is null || !(await store.ReadCheckedAsync(layout.DatasetMatrix, ct)).IsVerified) return null;
        if (protocol.PreprocessingPerFold)
            foreach (var fold in meta.Folds)
                if (!(await store.ReadCheckedAsync(layout.FoldDatasetJson(fold.Fold), ct)).IsVerified
                    || !(await store.ReadCheckedAsync(layout.FoldDatasetMatrix(fold.Fold), ct)).IsVerified)
                    return null;
        return meta;
    }

    /// <summary>Preparing a run's dataset again (after corruption) must give the bytes its models were trained on:
    /// if the source changed meanwhile, the run cannot be repaired.</summary>
    public async Task CheckSameSourceAsync(byte[] matrix, CancellationToken ct)
    {
        var expected = (await store.ReadWithHashAsync(layout.DatasetMatrix, ct))?.Sha256;
        if (expected is { Length: 64 } && !expected.Equals(ContentHash.Of(matrix), StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException(
                $"the data source of {layout.DatasetMatrix} changed since the run was prepared (its SHA-256 differs): start a new run");
    }

    /// <summary>Matrix first, description last: the description's hash marks a complete dataset.</summary>
    public async Task WriteDatasetAsync(DatasetArtifact meta, byte[] matrix, CancellationToken ct)
    {
        await store.WriteHashedAsync(layout.DatasetMatrix, matrix, ct);
        await store.WriteHashedJsonAsync(layout.DatasetJson, meta, ct);
    }

    public async Task WriteFoldDatasetAsync(int fold, DatasetArtifact meta, byte[] matrix, CancellationToken ct)
    {
        await store.WriteHashedAsync(layout.FoldDatasetMatrix(fold), matrix, ct);
        await store.WriteHashedJsonAsync(layout.FoldDatasetJson(fold), meta, ct);
    }

    /// <summary>The run's dataset (the whole table, scaled as the study did).</summary>
    public Task<(DatasetArtifact Meta, double[] Matrix)> DatasetAsync(CancellationToken ct) =>
        LoadDatasetAsync(layout.DatasetJson, layout.DatasetMatrix, ct, requireHash: false);

    /// <summary>The dataset a fold's models were trained on: the run's, or with per-fold preprocessing the fold's own.
    /// <paramref name="requireHash"/>: an unhashed file counts as corrupt (a step about to train on it).</summary>
    public Task<(DatasetArtifact Meta, double[] Matrix)> FoldDatasetAsync(EvaluationProtocol protocol, int fold, CancellationToken ct,
        bool requireHash = false) =>
        LoadDatasetAsync(layout.DatasetJsonOf(protocol, fold), layout.DatasetMatrixOf(protocol, fold), ct, requireHash);

    /// <summary>A finished training step's outcome, reused only when it and both weight files match their stored
    /// hashes; null when anything is missing or corrupt (then the step trains again, deterministically).</summary>
    public async Task<TrainingOutcome?> FinishedOutcomeAsync(ModelKind kind, int fold, string variant, CancellationToken ct)
    {
        var stored = (await store.ReadCheckedAsync(layout.Outcome(kind, fold, variant), ct)).VerifiedJson<TrainingOutcome>();
        return stored is not null && (await store.ReadCheckedAsync(layout.Model(kind, fold, variant), ct)).IsVerified
                                  && (await store.ReadCheckedAsync(layout.Safetensors(kind, fold, variant), ct)).IsVerified
            ? stored
            : null;
    }

    public async Task WriteModelAsync(ModelKind kind, int fold, string variant, byte[] weights, byte[] safetensors, CancellationToken ct)
    {
        await store.WriteHashedAsync(layout.Model(kind, fold, variant), weights, ct);
        await store.WriteHashedAsync(layout.Safetensors(kind, fold, variant), safetensors, ct);
    }

    /// <summary>Last: the outcome's hash marks the training step finished.</summary>
    public Task WriteOutcomeAsync(TrainingOutcome outcome, string variant, CancellationToken ct) =>
        store.WriteHashedJsonAsync(layout.Outcome(outcome.Model.Kind, outcome.Model.Fold, variant), outcome, ct);

    /// <summary>A model's weights checked against their hash (missing, unhashed and corrupt say so).</summary>
    public Task<CheckedArtifact> CheckedModelAsync(ModelKind kind, int fold, string variant, CancellationToken ct) =>
        store.ReadCheckedAsync(layout.Model(kind, fold, variant), ct);

    /// <summary>A model's weights, intact (never corrupt bytes); a missing model is an error.</summary>
    public async Task<byte[]> ModelAsync(ModelKind kind, int fold, string variant, CancellationToken ct) =>
        await store.ReadIntactAsync(layout.Model(kind, fold, variant), ct)
        ?? throw new InvalidOperationException($"model {layout.Model(kind, fold, variant)} is missing");

    public async Task<TrainingOutcome> OutcomeAsync(ModelKind kind, int fold, string variant, CancellationToken ct) =>
        await store.ReadIntactJsonAsync<TrainingOutcome>(layout.Outcome(kind, fold, variant), ct)
        ?? throw new InvalidOperationException($"{kind.Name()} {variant} of fold {fold} has no stored outcome");

    /// <summary>Loads a dataset artifact, checking both files against their stored SHA-256: a mismatch throws
    /// <see cref="CorruptArtifactException"/>, and so does a missing hash when <paramref name="requireHash"/>.</summary>
    private async Task<(DatasetArtifact Meta, double[] Matrix)> LoadDatasetAsync(string jsonPath, string matrixPath, CancellationToken ct,
        bool requireHash)
    {
        var json = await Checked(jsonPath, $"dataset artifact {jsonPath} is missing: run the prepare step first");
        var meta = JsonSerializer.Deserialize<DatasetArtifact>(json, ArtifactStoreJson.Options)
                   ?? throw new CorruptArtifactException($"dataset artifact {jsonPath} is empty");
        var bytes = await Checked(matrixPath, $"dataset matrix {matrixPath} is missing: run the prepare step first");
        if (bytes.Length != meta.Rows * meta.Features.Count * sizeof(double))
            throw new CorruptArtifactException($"dataset matrix {matrixPath} has {bytes.Length} bytes, expected {meta.Rows}×{meta.Features.Count} doubles");
        return (meta, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(bytes.AsSpan()).ToArray());

        async Task<byte[]> Checked(string path, string missing)
        {
            var read = await store.ReadCheckedAsync(path, ct);
            return read.Status switch
            {
                ArtifactCheck.Missing => throw new InvalidOperationException(missing),
                ArtifactCheck.Corrupt => throw new CorruptArtifactException(read.Describe()),
                ArtifactCheck.Unhashed when requireHash => throw new CorruptArtifactException(read.Describe()),
                _ => read.Content!,
            };
        }
    }
}
