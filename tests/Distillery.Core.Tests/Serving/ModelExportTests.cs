using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Serving;
using Distillery.Storage;

namespace Distillery.Tests.Serving;

[Collection(ServingRunCollection.Name)]
public class ModelExportTests(ServingRunFixture run)
{
    [Fact]
    public async Task Student_export_is_the_champion_folds_safetensors_with_a_sidecar()
    {
        var (bytes, sidecar) = await ModelExport.StudentAsync(run.Store, ServingRunFixture.RunId, default);
        var fold = Forecaster.ChampionFold(run.Results);
        Assert.Equal(await run.Store.ReadAsync(new RunLayout(ServingRunFixture.RunId).Safetensors(ModelKind.Student, fold)), bytes);

        Assert.Equal((ServingRunFixture.RunId, "student", fold), (sidecar.RunId, sidecar.Model, sidecar.Fold));
        Assert.Equal(523, sidecar.Features.Count);
        Assert.Equal(run.Meta.Features, sidecar.Features);
        Assert.Equal(run.Meta.Min, sidecar.Min);
        Assert.Equal(run.Meta.Max, sidecar.Max);
        Assert.Equal("new_hospitalized_patients", sidecar.Target);
        Assert.Equal("new_hospitalized_patients", sidecar.Features[sidecar.TargetIndex]);
        Assert.Equal(new ServingArchitecture(10, 14, 523, 50, 2, "relu", "sigmoid", "[batch, inputDays, features] flattened row-major"),
            sidecar.Architecture);
        Assert.Contains("(x - min[j]) / (max[j] - min[j])", sidecar.HowToUse);

        // The header (8-byte little-endian length, then JSON) names exactly the student's weights.
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, length));
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).Where(n => n != "__metadata__").Order().ToArray();
        using var student = ModelFactory.Create(ModelKind.Student, run.Results.Settings.ShapeFor(run.Meta));
        Assert.Equal(student.state_dict().Keys.Order(), names);
        Assert.Equal(names, sidecar.Tensors.Select(t => t.Name).Order());
        Assert.Contains(sidecar.Tensors, t => t.Shape.SequenceEqual([50L, 5230L]));
        Assert.Contains(sidecar.Tensors, t => t.Shape.SequenceEqual([14L]));

        using var json = JsonDocument.Parse(JsonSerializer.Serialize(sidecar, ArtifactStoreJson.Options));
        Assert.Equal(523, json.RootElement.GetProperty("architecture").GetProperty("features").GetInt32());
        Assert.Equal("relu", json.RootElement.GetProperty("architecture").GetProperty("activation").GetString());
    }

    [Fact]
    public async Task Export_of_a_missing_run_is_named()
    {
        var e = await Assert.ThrowsAsync<RunNotFoundException>(() => ModelExport.StudentAsync(run.Store, "missing-run", default));
        Assert.Contains("missing-run", e.Message);
    }
}
