using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class WeightedIntervalScoreTests
{
    // m = 5, 80 % interval (α = 0.2) [2, 8], K = 1, so WIS = (0.5·|y − 5| + 0.1·IS) / 1.5 and dispersion 0.1·6 / 1.5 = 0.4.
    //   y = 10: IS = (8 − 2) + (2/0.2)(10 − 8) = 26; WIS = (2.5 + 2.6) / 1.5 = 3.4;
    //           underprediction (0.5·5 + 0.1·10·2) / 1.5 = 3.0, overprediction 0.
    //   y = 1:  IS = 6 + 10·(2 − 1) = 16; WIS = (2 + 1.6) / 1.5 = 2.4;
    //           overprediction (0.5·4 + 0.1·10·1) / 1.5 = 2.0, underprediction 0.
    [Theory]
    [InlineData(10, 26, 3.4, 3.0, 0.0)]
    [InlineData(1, 16, 2.4, 0.0, 2.0)]
    public void One_interval_and_a_median_by_hand(double y, double intervalScore, double wis, double under, double over)
    {
        Assert.Equal(intervalScore, WeightedIntervalScore.IntervalScore(0.2, 2, 8, y), 12);
        var parts = WeightedIntervalScore.Decompose(5, [0.2], [2], [8], y);
        Assert.Equal(wis, parts.Total, 12);
        Assert.Equal(0.4, parts.Dispersion, 12);
        Assert.Equal(under, parts.Underprediction, 12);
        Assert.Equal(over, parts.Overprediction, 12);
    }

    [Fact]
    public void The_23_levels_by_hand_truth_at_the_median()
    {
        // q_τ = 100τ, y = 50 = m: no penalty, each interval is 100(1 − α) wide, so
        //   WIS = Σ (α/2)·100(1 − α) / 11.5 = 50·Σ α(1 − α) / 11.5
        //   Σ α(1 − α) = .0196 + .0475 + .09 + .16 + .21 + .24 + .25 + .24 + .21 + .16 + .09 = 1.7171
        //   WIS = 85.855 / 11.5 = 7.4656521739…
        var forecast = new QuantileForecast(QuantileLevels.Levels.Select(q => 100 * q).ToArray());
        var parts = WeightedIntervalScore.Decompose(forecast, 50);
        Assert.Equal(85.855 / 11.5, WeightedIntervalScore.Score(forecast, 50), 10);
        Assert.Equal(parts.Total, parts.Dispersion, 12);
    }

    [Fact]
    public void Equals_twice_the_mean_pinball_loss_over_the_23_levels()
    {
        var random = new Random(2021);
        for (var trial = 0; trial < 500; trial++)
        {
            var scale = Math.Pow(10, random.Next(0, 4));
            var forecast = QuantileForecast.Monotone(Enumerable.Range(0, 23).Select(_ => scale * random.NextDouble()).ToArray());
            var y = scale * (1.4 * random.NextDouble() - 0.2);
            var pinball = QuantileLevels.Levels.Select((tau, i) => Pinball(tau, forecast.Values[i], y)).Average();
            Assert.Equal(2 * pinball, WeightedIntervalScore.Score(forecast, y), 9);
        }
    }

    [Fact]
    public void The_components_add_up_and_a_penalty_lands_on_the_side_of_the_miss()
    {
        var forecast = new QuantileForecast(QuantileLevels.Levels.Select(q => 100 * q).ToArray());
        var high = WeightedIntervalScore.Decompose(forecast, 130);
        Assert.Equal(0, high.Overprediction);
        Assert.True(high.Underprediction > 0);
        var low = WeightedIntervalScore.Decompose(forecast, -20);
        Assert.Equal(0, low.Underprediction);
        Assert.True(low.Overprediction > 0);
        Assert.Equal(high.Dispersion, low.Dispersion, 12);
    }

    [Fact]
    public void Coverage_uses_the_central_interval_with_its_bounds_included()
    {
        var forecast = new QuantileForecast(QuantileLevels.Levels.Select(q => 100 * q).ToArray());
        Assert.True(WeightedIntervalScore.Coverage(forecast, 25, 0.5));
        Assert.True(WeightedIntervalScore.Coverage(forecast, 75, 0.5));
        Assert.False(WeightedIntervalScore.Coverage(forecast, 24.999, 0.5));
        Assert.False(WeightedIntervalScore.Coverage(forecast, 75.001, 0.5));
        Assert.True(WeightedIntervalScore.Coverage(forecast, 2.5, 0.95));
        Assert.True(WeightedIntervalScore.Coverage(forecast, 97.5, 0.95));
        Assert.False(WeightedIntervalScore.Coverage(forecast, 97.6, 0.95));
    }

    // ρ_τ(y, q) = τ(y − q) when y ≥ q, (1 − τ)(q − y) otherwise: written here, independently of the WIS code.
    private static double Pinball(double tau, double q, double y) => y >= q ? tau * (y - q) : (1 - tau) * (q - y);
}
