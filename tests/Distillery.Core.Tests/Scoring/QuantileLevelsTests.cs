using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class QuantileLevelsTests
{
    [Fact]
    public void The_Hubs_23_levels_ascend_with_the_median_in_the_middle()
    {
        var levels = QuantileLevels.Levels;
        Assert.Equal(23, levels.Count);
        double[] expected = [0.01, 0.025, .. Enumerable.Range(1, 19).Select(i => Math.Round(0.05 * i, 2)), 0.975, 0.99];
        Assert.Equal(expected, levels);
        Assert.True(levels.Zip(levels.Skip(1)).All(p => p.First < p.Second));
        Assert.Equal(11, QuantileLevels.MedianIndex);
        Assert.Equal(0.5, levels[QuantileLevels.MedianIndex]);
    }

    [Fact]
    public void Each_of_the_11_intervals_runs_from_alpha_over_2_to_1_minus_alpha_over_2()
    {
        var intervals = QuantileLevels.Intervals;
        Assert.Equal([0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], intervals.Select(i => i.Alpha));
        foreach (var interval in intervals)
        {
            Assert.Equal(interval.Alpha / 2, QuantileLevels.Levels[interval.LowerIndex], 12);
            Assert.Equal(1 - interval.Alpha / 2, QuantileLevels.Levels[interval.UpperIndex], 12);
        }
        Assert.Equal(new CentralInterval(0.5, 6, 16), QuantileLevels.Interval(0.5));
        Assert.Equal(new CentralInterval(0.05, 1, 21), QuantileLevels.Interval(0.95));
        Assert.Throws<ArgumentOutOfRangeException>(() => QuantileLevels.Interval(0.99));
    }
}
