using Distillery.Data;
using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class ConformalQuantilesTests
{
    [Fact]
    public void Level_q_takes_the_ceil_of_n_plus_1_times_q_th_residual_clamped_to_1_to_n()
    {
        // Residuals 1…99 (n = 99): level q takes residual ⌈100q⌉, so 0.05 → 5, 0.25 → 25, 0.975 → 98 (97.5 rounds up),
        // 0.99 → 99; 0.01 → 1. 100·0.55 is 55.00000000000001 in doubles, which must not push it to 56.
        var residuals = Enumerable.Range(1, 99).Select(i => (double)i).Reverse().ToArray();
        var forecast = ConformalQuantiles.Forecast(residuals, 1000);
        Assert.Equal(1001, forecast.Values[0]);
        Assert.Equal(1005, forecast.Values[2]);
        Assert.Equal(1025, forecast.Values[6]);
        Assert.Equal(1050, forecast.Median);
        Assert.Equal(1055, forecast.Values[12]);
        Assert.Equal(1095, forecast.Values[20]);
        Assert.Equal(1098, forecast.Values[21]);
        Assert.Equal(1099, forecast.Values[22]);

        // n = 9: ⌈10·0.99⌉ = 10 is past the largest residual, so it is clamped to the 9th.
        var small = ConformalQuantiles.Forecast([4, -4, 3, -3, 2, -2, 1, -1, 0], 10);
        Assert.Equal(14, small.Values[22]);
        Assert.Equal(6, small.Values[0]);
        Assert.Equal(10, small.Median);
    }

    [Fact]
    public void Quantiles_are_monotone_and_never_negative()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 100; trial++)
        {
            var residuals = Enumerable.Range(0, 1 + random.Next(60)).Select(_ => 20 * SyntheticData.Gaussian(random)).ToArray();
            var forecast = ConformalQuantiles.Forecast(residuals, 15 * random.NextDouble());
            Assert.Null(QuantileForecast.Problem(forecast.Values));
            Assert.All(forecast.Values, v => Assert.True(v >= 0));
        }
    }

    [Fact]
    public void Intervals_cover_Gaussian_truths_at_their_nominal_rate()
    {
        // Each draw: 99 calibration residuals and one new truth, all N(0, 10²) around ŷ = 200 (far from the 0 clamp).
        // With n = 99 the 95 % interval is [r₍₃₎, r₍₉₈₎], covering 96/100 of exchangeable draws; the 50 % one
        // [r₍₂₅₎, r₍₇₅₎] covers 51/100.
        var random = new Random(1234);
        const int draws = 2000;
        int covered95 = 0, covered50 = 0;
        for (var draw = 0; draw < draws; draw++)
        {
            var residuals = Enumerable.Range(0, 99).Select(_ => 10 * SyntheticData.Gaussian(random)).ToArray();
            var forecast = ConformalQuantiles.Forecast(residuals, 200);
            var y = 200 + 10 * SyntheticData.Gaussian(random);
            if (WeightedIntervalScore.Coverage(forecast, y, 0.95)) covered95++;
            if (WeightedIntervalScore.Coverage(forecast, y, 0.5)) covered50++;
        }
        Assert.InRange(covered95 / (double)draws, 0.93, 0.98);
        Assert.InRange(covered50 / (double)draws, 0.47, 0.55);
    }

    [Fact]
    public void Each_horizon_day_uses_its_own_residuals()
    {
        double[][] residuals = [[-1, 0, 1], [-10, 0, 10]];
        var days = ConformalQuantiles.Forecast(residuals, [50.0, 60.0]);
        Assert.Equal(2, days.Length);
        Assert.Equal(51, days[0].Values[22]);
        Assert.Equal(70, days[1].Values[22]);
        Assert.Throws<ArgumentException>(() => ConformalQuantiles.Forecast(residuals, [50.0]));
        Assert.Throws<ArgumentException>(() => ConformalQuantiles.Forecast([], 50.0));
    }
}
