using System.Text.Json;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Tests.Experiments;

/// <summary>results.json is a contract: files written before model kinds were typed read back into the typed records and
/// serialise to the same JSON, property for property (tests/fixtures/report/golden-both was written by a real run of
/// the earlier code).</summary>
public class ResultsJsonTests
{
    [Theory]
    [InlineData("golden-both/study/results.json")]
    [InlineData("golden-both/leakage-free/results.json")]
    public void A_stored_results_json_round_trips_byte_for_byte(string file)
    {
        var bytes = File.ReadAllBytes(RepoPaths.Fixture(Path.Combine("report", file)));
        var results = JsonSerializer.Deserialize<RunResults>(bytes, ArtifactStoreJson.Options)!;
        Assert.Equal(ModelKinds.All, results.Folds[0].Models.Keys);
        Assert.True(results.Folds[0][ModelKind.Student].TestVsTruth is { Length: > 0 });
        Assert.Equal(Written(bytes), System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(results, ArtifactStoreJson.Options)));
    }

    [Fact]
    public void Combined_results_round_trip_byte_for_byte()
    {
        var bytes = File.ReadAllBytes(RepoPaths.Fixture(Path.Combine("report", "golden-both", "results.json")));
        var combined = JsonSerializer.Deserialize<CombinedResults>(bytes, ArtifactStoreJson.Options)!;
        Assert.Equal(Written(bytes), System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(combined, ArtifactStoreJson.Options)));
    }

    /// <summary>The file as the store's serializer writes it: the fixtures' data source was edited by hand (README), so
    /// its escaping is normalised; the order and value of every property are the file's.</summary>
    private static string Written(byte[] file) => System.Text.Json.Nodes.JsonNode.Parse(file)!.ToJsonString(ArtifactStoreJson.Options);
}
