using Distillery.Data;

namespace Distillery.Tests.Data;

public class WindowingTests
{
    [Fact]
    public void UsFlHas381WindowsAndTheStudysTargets()
    {
        var d = StudyCleaningTests.UsFl;
        var seed = StudyCleaningTests.Seed;
        var count = Windowing.Count(d.Rows, 10, 14);
        Assert.Equal(381, count);
        Assert.Equal(seed.GetProperty("windows").GetInt32(), count);
        var first = seed.GetProperty("target_window0").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var last = seed.GetProperty("target_window_last").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var y0 = Windowing.Targets(d, 0, 10, 14);
        var yl = Windowing.Targets(d, count - 1, 10, 14);
        for (var i = 0; i < 14; i++)
        {
            Assert.Equal(first[i], y0[i], 1e-9);
            Assert.Equal(last[i], yl[i], 1e-9);
        }
        var (input, target) = Windowing.Rows(count - 1, 10, 14);
        Assert.Equal(Enumerable.Range(380, 10), input);
        Assert.Equal(Enumerable.Range(390, 14), target);
        var x = Windowing.Inputs(d, 0, 10, 14);
        Assert.Equal(10, x.Length);
        Assert.Equal(d.Scaled[9], x[9]);
    }

    [Fact]
    public void TooFewRows()
    {
        Assert.Equal(1, Windowing.Count(25, 10, 14));
        Assert.Equal("windowing needs at least 25 rows for 10 input + 14 output days, got 24",
            TestCsv.ErrorOf(() => Windowing.Count(24, 10, 14)));
    }

    [Theory]
    [InlineData(0, 14, "input days must be at least 1, got 0")]
    [InlineData(10, -1, "output days must be at least 1, got -1")]
    public void NonPositiveDays(int inputDays, int outputDays, string message)
    {
        Assert.Equal(message, TestCsv.ErrorOf(() => Windowing.Count(405, inputDays, outputDays)));
        Assert.Equal(message, TestCsv.ErrorOf(() => Windowing.Rows(0, inputDays, outputDays)));
    }
}
