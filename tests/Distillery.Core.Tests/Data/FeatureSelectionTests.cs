using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Data;

public class FeatureSelectionTests
{
    // y rises; a follows it exactly (r = 1), b nearly mirrors it (r ≈ −0.99), d a little (r ≈ 0.48), c hardly (r ≈ 0.13).
    private const string Csv = """
        date,y,a,b,c,d
        2020-01-01,1,10,9,5,1
        2020-01-02,2,20,8,1,2
        2020-01-03,3,30,7,4,3
        2020-01-04,4,40,6,2,1
        2020-01-05,5,50,5,3,2
        2020-01-06,6,60,3,5,3
        """;

    private static CleanDataset Clean() => StudyCleaning.Clean(TestCsv.Read(Csv), "y");

    [Theory]
    [InlineData(null, "All")]
    [InlineData("  ", "All")]
    [InlineData("top:3", "TopK")]
    [InlineData("a, c", "Named")]
    public void Parses_each_form(string? text, string kind) => Assert.Equal(kind, FeatureSelection.Parse(text).GetType().Name);

    [Theory]
    [InlineData("top:", "after 'top:' give a column count")]
    [InlineData("top:-1", "after 'top:' give a column count")]
    [InlineData("top:x", "after 'top:' give a column count")]
    [InlineData("a,,b", "an empty column name")]
    [InlineData("a,b,a", "column 'a' is listed twice")]
    public void Bad_text_is_named(string text, string message)
    {
        Assert.Contains(message, TestCsv.ErrorOf(() => FeatureSelection.Parse(text)));
        // And the settings report it with the other fields.
        Assert.Contains(new ExperimentSettings { Features = text }.Problems(), p => p.Field == "features" && p.Problem.Contains(message));
    }

    [Fact]
    public void Named_keeps_the_target_and_the_listed_columns_in_file_order_and_records_the_absent_ones()
    {
        var (data, leftOut) = FeatureSelection.Parse("c,new_confirmed,a").Apply(Clean());
        Assert.Equal(["y", "a", "c"], data.Features);
        Assert.Equal(["new_confirmed"], leftOut);
        Assert.Equal(0, data.TargetIndex);
        // The kept columns keep their scaling: the same values as in the full dataset.
        var full = Clean();
        Assert.Equal(full.Scaled.Select(r => r[3]), data.Scaled.Select(r => r[2]));
        Assert.Equal(full.Max[1], data.Max[1]);
    }

    [Fact]
    public void Top_k_ranks_by_absolute_correlation_with_the_target_on_the_rows_it_is_fit_on()
    {
        var clean = Clean();
        Assert.Equal(["a", "b", "d", "c"], FeatureSelection.Ranked(clean)); 
        Assert.Equal(["y", "a", "b"], FeatureSelection.Parse("top:2").Apply(clean).Data.Features);
        Assert.Equal(["y"], FeatureSelection.Parse("top:0").Apply(clean).Data.Features);
        Assert.Equal(clean.Features, FeatureSelection.Parse("top:100").Apply(clean).Data.Features);
    }

    [Fact]
    public async Task A_leakage_free_run_fits_the_selection_per_fold_and_the_dataset_records_what_was_left_out()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        var settings = TinyRun.Settings() with
        {
            Protocol = EvaluationProtocol.LeakageFree.Name, Features = "new_confirmed,no_such_column", EarlyStoppingPatience = 1,
        };
        await steps.Prepare.RunAsync(new PrepareRequest("features", settings));
        var artifacts = new RunArtifacts(steps.Store, new RunLayout("features"));
        var (meta, _) = await artifacts.DatasetAsync(default);
        Assert.Equal(["new_confirmed", "new_hospitalized_patients"], meta.Features.Order());
        Assert.Equal(["no_such_column"], meta.FeaturesLeftOut);
        foreach (var fold in meta.Folds)
        {
            var (foldMeta, _) = await artifacts.FoldDatasetAsync(EvaluationProtocol.LeakageFree, fold.Fold, default);
            Assert.Equal(2, foldMeta.Features.Count);
        }
    }
}
