using Distillery.Data;
using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class HubBaselineTests
{
    // An integer random walk of counts, as hospitalisations are: 300 days, steps up to ±25.
    private static double[] CountSeries(int seed)
    {
        var random = new Random(seed);
        var series = new double[300];
        series[0] = 400;
        for (var t = 1; t < series.Length; t++) series[t] = Math.Max(0, series[t - 1] + random.Next(-25, 26));
        return series;
    }

    [Fact]
    public void One_difference_by_hand()
    {
        // History 10, 11: differences {1}, symmetrised {−1, +1} each ½. From 10:
        //   day 1: 9 below level ½, 10 at ½ (midpoint of the inverse CDFs −1 and +1), 11 above.
        //   day 2: the sum is −2, 0, +2 with ¼, ½, ¼: 8 below ¼, 9 at ¼ (F(−2) = ¼ exactly), 10 strictly between ¼ and ¾,
        //   11 at ¾, 12 above.
        var days = HubBaseline.Forecast([10, 11], 10, 2);
        var levels = QuantileLevels.Levels;
        Assert.Equal(levels.Select(q => q < 0.5 ? 9.0 : q > 0.5 ? 11.0 : 10.0), days[0].Values);
        Assert.Equal(levels.Select(q => q < 0.25 ? 8.0 : q == 0.25 ? 9.0 : q < 0.75 ? 10.0 : q == 0.75 ? 11.0 : 12.0),
            days[1].Values);
    }

    [Fact]
    public void A_level_hit_exactly_by_the_masses_is_not_missed_by_rounding()
    {
        // Differences 3, 0, −1, −3, 1, −4 and their negatives: 12 atoms of 1/12. F(+1) = 9/12 = ¾ exactly, so level ¾ is
        // the midpoint of +1 and +3, i.e. +2; summed in doubles F(+1) falls just short of ¾, which without a tolerance
        // would give +3.
        var day = HubBaseline.Forecast([20, 23, 23, 22, 19, 20, 16], 100, 1)[0];
        Assert.Equal(102, day.Values[16]);
        Assert.Equal(98, day.Values[6]);
        Assert.Equal(100, day.Median);
    }

    [Fact]
    public void The_median_is_the_last_value_at_every_horizon_and_the_quantiles_are_monotone_and_not_negative()
    {
        var baseline = HubBaseline.Fit(CountSeries(3), 14);
        Assert.Equal(1.0, baseline.Step);
        foreach (var day in baseline.Forecast(500))
        {
            Assert.Equal(500, day.Median);
            Assert.Null(QuantileForecast.Problem(day.Values));
        }
        foreach (var day in baseline.Forecast(3))
        {
            Assert.Equal(3, day.Median);
            Assert.All(day.Values, v => Assert.True(v >= 0));
            Assert.Equal(0, day.Values[0]); // truncated at 0
        }
    }

    [Fact]
    public void The_spread_grows_with_the_horizon()
    {
        var days = HubBaseline.Forecast(CountSeries(5), 1000, 14);
        var widths = days.Select(d => d.Upper(QuantileLevels.Interval(0.95)) - d.Lower(QuantileLevels.Interval(0.95))).ToArray();
        Assert.True(widths.Zip(widths.Skip(1)).All(p => p.Second > p.First), string.Join(", ", widths));
    }

    [Fact]
    public void The_exact_quantiles_match_resampled_sums_of_differences()
    {
        // What simplets does, by brute force: sum h differences drawn from the observed ones and their negatives.
        var history = CountSeries(8);
        var diffs = history.Zip(history.Skip(1), (a, b) => b - a).ToArray();
        double[] symmetrised = [.. diffs, .. diffs.Select(d => -d)];
        var baseline = HubBaseline.Fit(history, 7);
        var random = new Random(99);
        foreach (var h in new[] { 1, 3, 7 })
        {
            var sums = Enumerable.Range(0, 100_000)
                .Select(_ => Enumerable.Range(0, h).Sum(_ => symmetrised[random.Next(symmetrised.Length)])).Order().ToArray();
            var exact = baseline.Increments(h - 1);
            for (var i = 0; i < QuantileLevels.Count; i++)
            {
                var sampled = sums[(int)Math.Ceiling(QuantileLevels.Levels[i] * sums.Length) - 1];
                Assert.True(Math.Abs(sampled - exact[i]) <= 1 + 0.03 * Math.Sqrt(h) * 15,
                    $"h = {h}, level {QuantileLevels.Levels[i]}: sampled {sampled}, exact {exact[i]}");
            }
        }
    }

    [Fact]
    public void Non_integer_values_go_on_a_fine_lattice_and_give_the_scaled_quantiles()
    {
        var counts = CountSeries(13);
        var scaled = counts.Select(v => 0.37 * v).ToArray();
        var onCounts = HubBaseline.Fit(counts, 5);
        var onScaled = HubBaseline.Fit(scaled, 5);
        Assert.NotEqual(1.0, onScaled.Step);
        for (var day = 0; day < 5; day++)
            for (var i = 0; i < QuantileLevels.Count; i++)
                Assert.Equal(0.37 * onCounts.Increments(day)[i], onScaled.Increments(day)[i], (day + 1) * onScaled.Step);
    }

    [Fact]
    public void Missing_values_are_skipped_and_too_little_history_is_an_error()
    {
        var withGap = HubBaseline.Forecast([10, 11, double.NaN, 5], 10, 1);
        var without = HubBaseline.Forecast([10, 11], 10, 1);
        Assert.Equal(without[0].Values, withGap[0].Values);
        Assert.Throws<ArgumentException>(() => HubBaseline.Fit([10], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => HubBaseline.Fit([10, 11], 0));
    }
}
