using System.Text.Json;
using Distillery.Data;

namespace Distillery.Tests.Data;

public class StudyCleaningTests
{
    private const string Target = "new_hospitalized_patients";
    internal static readonly JsonElement Seed = JsonDocument.Parse(File.ReadAllText(RepoPaths.Fixture("US_FL_seed_features.json"))).RootElement;
    private static CleanDataset? _usFl;
    internal static CleanDataset UsFl => _usFl ??= StudyCleaning.Clean(TestCsv.UsFl, Target);

    [Fact]
    public void UsFlMatchesTheStudy()
    {
        var d = UsFl;
        var features = Seed.GetProperty("features").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Equal(523, features.Length);
        Assert.Equal(features, d.Features);
        Assert.Equal(Seed.GetProperty("rows").GetInt32(), d.Rows);
        Assert.Equal(Target, d.Target);
        Assert.Equal(Array.IndexOf(features, Target), d.TargetIndex);
        var min = Seed.GetProperty("min").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var max = Seed.GetProperty("max").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var j = 0; j < features.Length; j++)
        {
            Assert.True(Math.Abs(min[j] - d.Min[j]) <= 1e-9, $"min of {features[j]}: {d.Min[j]} vs {min[j]}");
            Assert.True(Math.Abs(max[j] - d.Max[j]) <= 1e-9, $"max of {features[j]}: {d.Max[j]} vs {max[j]}");
        }
        var first = Seed.GetProperty("first_dates").EnumerateArray().Select(e => DateOnly.Parse(e.GetString()!)).ToArray();
        Assert.Equal(first, d.Dates.Take(first.Length));
        Assert.Equal(DateOnly.Parse(Seed.GetProperty("last_date").GetString()!), d.Dates[^1]);
        var sum = d.Scaled.Sum(r => r.Sum());
        Assert.Equal(Seed.GetProperty("scaled_sum_all").GetDouble(), sum, 1e-6);
        Assert.All(d.Scaled, r => Assert.All(r, x => Assert.InRange(x, 0.0, 1.0)));
    }

    [Fact]
    public void ApplyScalingReproducesTheCleanedRowsAndTheScalerInverts()
    {
        var d = UsFl;
        var again = d.ApplyScaling(TestCsv.UsFl);
        for (var i = 0; i < d.Rows; i++)
            for (var j = 0; j < d.Features.Count; j++)
                Assert.Equal(d.Scaled[i][j], again[i][j], 1e-12);
        var t = d.TargetIndex;
        Assert.Equal(d.Max[t], d.Scaler.Inverse(t, 1.0), 1e-9);
        Assert.Equal(d.Min[t], d.Scaler.Inverse(t, 0.0), 1e-9);
        var raw = double.Parse(TestCsv.UsFl.Rows[300][TestCsv.UsFl.ColumnIndex(Target)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(raw, d.Scaler.Inverse(t, d.Scaled[300][t]), 1e-9);
    }

    [Fact]
    public void ApplyScalingMatchesColumnsByName()
    {
        var d = StudyCleaning.Clean(TestCsv.Read("date,a,b\n2020-01-01,0,10\n2020-01-02,5,20\n2020-01-03,10,\n"), "a");
        var scaled = d.ApplyScaling(TestCsv.Read("extra,b,date,a\nx,,2021-01-01,5\n"));
        Assert.Equal([0.5, 0.0], scaled[0]);
        var msg = TestCsv.ErrorOf(() => d.ApplyScaling(TestCsv.Read("date,c\n2020-01-01,1\n")));
        Assert.Equal("missing 2 feature column(s): a, b", msg);
        msg = TestCsv.ErrorOf(() => d.ApplyScaling(TestCsv.Read("date,a\n2020-01-01,1\n")));
        Assert.Equal("missing 1 feature column(s): b", msg);
        msg = TestCsv.ErrorOf(() => d.ApplyScaling(TestCsv.Read("date,a,b\n2020-01-01,x,1\n")));
        Assert.Equal("column 'a', row 1 (line 2): value 'x' is not a number", msg);
    }

    [Fact]
    public void DistinctValueRule()
    {
        const string csv =
            "location_key,date,one,two,five,empty3,str3,cumulative_x,t\n" +
            "US_FL,2020-01-01,7,a,5,,A,1,1\n" +
            "US_FL,2020-01-02,7,b,5.0,1,B,2,2\n" +
            "US_FL,2020-01-03,7,a,6,2,,3,3\n";
        // str3 has 3 distinct values (A, B, empty) so it survives and is not numeric.
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read(csv, "r.csv"), "t"));
        Assert.Equal("r.csv: column 'str3' is not numeric: value 'A' in row 1 (line 2) (it has more than 2 distinct values, so the cleaning rule keeps it)", msg);

        var d = StudyCleaning.Clean(TestCsv.Read(csv.Replace(",A,", ",A,").Replace(",B,", ",A,")), "t");
        Assert.Equal(["empty3", "t"], d.Features);
        Assert.Equal([0.0, 1.0], d.Min);
        Assert.Equal([2.0, 3.0], d.Max);
        Assert.Equal([0.0, 0.5, 1.0], d.Scaled.Select(r => r[0]));
        Assert.Equal(1, d.TargetIndex);
    }

    [Fact]
    public void UnsortedRowsAreSortedAndGapsKept()
    {
        var d = StudyCleaning.Clean(TestCsv.Read("date,t\n2020-01-05,3\n2020-01-01,1\n2020-01-02,2\n"), "t");
        Assert.Equal([new DateOnly(2020, 1, 1), new DateOnly(2020, 1, 2), new DateOnly(2020, 1, 5)], d.Dates);
        Assert.Equal([0.0, 0.5, 1.0], d.Scaled.Select(r => r[0]));
    }

    [Theory]
    [InlineData("2020-13-01")]
    [InlineData("01/02/2020")]
    [InlineData("")]
    public void BadDate(string date)
    {
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read($"date,t\n2020-01-01,1\n{date},2\n2020-01-03,3\n", "d.csv"), "t"));
        Assert.Equal($"d.csv: row 2 (line 3): date '{date}' is not a yyyy-MM-dd date", msg);
    }

    [Fact]
    public void DuplicateDate()
    {
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read("date,t\n2020-01-01,1\n2020-01-02,2\n2020-01-01,3\n", "d.csv"), "t"));
        Assert.Equal("d.csv: duplicate date 2020-01-01 (row 1 (line 2) and row 3 (line 4))", msg);
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e400")]
    public void NonFiniteNumber(string value)
    {
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read($"date,t,x\n2020-01-01,1,1\n2020-01-02,2,2\n2020-01-03,3,{value}\n", "n.csv"), "t"));
        Assert.Equal($"n.csv: column 'x', row 3 (line 4): value '{value}' is not a finite number", msg);
    }

    [Fact]
    public void TargetNotFound() =>
        Assert.Equal("t.csv: target column 'nope' not found",
            TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read("date,t\n2020-01-01,1\n", "t.csv"), "nope")));

    [Fact]
    public void TargetDroppedByRule() =>
        Assert.Equal("t.csv: target column 't' has only 2 distinct values and was dropped by the cleaning rule (columns with 1 or 2 distinct values are dropped)",
            TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.Read("date,t,x\n2020-01-01,1,1\n2020-01-02,,2\n2020-01-03,1.0,3\n", "t.csv"), "t")));

    [Fact]
    public void TargetCumulative()
    {
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.UsFl, "cumulative_confirmed"));
        Assert.Contains("target column 'cumulative_confirmed' was dropped by the cleaning rule: columns starting with 'cumulative_' are cumulative", msg);
    }

    [Fact]
    public void UsFlTargetDroppedNamesCount()
    {
        var msg = TestCsv.ErrorOf(() => StudyCleaning.Clean(TestCsv.UsFl, "location_key"));
        Assert.Contains("target column 'location_key' has only 1 distinct values", msg);
    }
}
