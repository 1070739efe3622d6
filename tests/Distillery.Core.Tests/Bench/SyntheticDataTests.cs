using System.Text;
using Distillery.Data;
using Distillery.Experiments;

namespace Distillery.Tests.Bench;

public class SyntheticDataTests
{
    private static IReadOnlyList<string> Header => SyntheticData.ReadHeader(RepoPaths.UsFl);

    private static CleanDataset Clean(string csv) =>
        StudyCleaning.Clean(RawTableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "synthetic"), ExperimentSettings.DefaultTarget);

    [Fact]
    public void Has_US_FL_s_header_and_the_cleaning_keeps_most_columns_and_the_target()
    {
        var csv = SyntheticData.Generate(200, 1, Header);
        var table = RawTableReader.Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "synthetic");
        Assert.Equal(Header, table.Columns);
        Assert.Equal(200, table.Rows.Count);
        var clean = Clean(csv);
        var real = StudyCleaning.Clean(DataSource.LoadFile(RepoPaths.UsFl), ExperimentSettings.DefaultTarget);
        Assert.Contains(ExperimentSettings.DefaultTarget, clean.Features);
        // Most columns survive, as in the real file (its identifiers, static columns, flags and cumulatives go).
        Assert.InRange(clean.Features.Count, real.Features.Count / 2, Header.Count);
        Assert.DoesNotContain(clean.Features, f => f.StartsWith("cumulative_", StringComparison.Ordinal));
        Assert.DoesNotContain("location_key", clean.Features);
    }

    [Fact]
    public void Is_deterministic_per_seed()
    {
        Assert.Equal(SyntheticData.Generate(50, 7, Header), SyntheticData.Generate(50, 7, Header));
        Assert.NotEqual(SyntheticData.Generate(50, 7, Header), SyntheticData.Generate(50, 8, Header));
    }

    [Fact]
    public void Writes_a_file_the_pipeline_reads_with_one_window_per_extra_row()
    {
        var path = Path.Combine(Path.GetTempPath(), $"synthetic-{Guid.NewGuid():N}.csv");
        try
        {
            SyntheticData.WriteFile(path, 64, 2, Header);
            var clean = StudyCleaning.Clean(DataSource.LoadFile(path), ExperimentSettings.DefaultTarget);
            Assert.Equal(64, clean.Rows);
            Assert.Equal(40, Windowing.Count(clean.Rows, 10, 14));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Header_names_with_commas_and_quotes_round_trip()
    {
        string[] header = ["date", "a,b", "say \"hi\"", ExperimentSettings.DefaultTarget];
        var path = Path.Combine(Path.GetTempPath(), $"synthetic-{Guid.NewGuid():N}.csv");
        try
        {
            SyntheticData.WriteFile(path, 30, 1, header);
            Assert.Equal(header, SyntheticData.ReadHeader(path));
            Assert.Equal(header, DataSource.LoadFile(path).Columns);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Rejects_a_header_without_date() =>
        Assert.Throws<ArgumentException>(() => SyntheticData.Generate(10, 1, ["a", "b"]));
}
