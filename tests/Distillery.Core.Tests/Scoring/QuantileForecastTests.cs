using Distillery.Scoring;

namespace Distillery.Tests.Scoring;

public class QuantileForecastTests
{
    private static double[] Ramp() => QuantileLevels.Levels.Select(q => 100 * q).ToArray();

    [Fact]
    public void Accepts_non_decreasing_values_including_ties_and_exposes_median_and_bounds()
    {
        var values = Ramp();
        values[12] = values[11]; // a tie is allowed
        var forecast = new QuantileForecast(values);
        Assert.Equal(50, forecast.Median, 12);
        Assert.Equal(2.5, forecast.Lower(QuantileLevels.Interval(0.95)), 12);
        Assert.Equal(97.5, forecast.Upper(QuantileLevels.Interval(0.95)), 12);
        values[0] = -1000; // the forecast kept a copy
        Assert.Equal(1, forecast.Values[0], 12);
    }

    [Fact]
    public void Rejects_a_decrease_a_non_finite_value_or_the_wrong_count()
    {
        var crossing = Ramp();
        crossing[5] = crossing[4] - 0.1;
        Assert.Contains("must not decrease", Assert.Throws<ArgumentException>(() => new QuantileForecast(crossing)).Message);
        var nan = Ramp();
        nan[3] = double.NaN;
        Assert.Contains("NaN", QuantileForecast.Problem(nan));
        var infinite = Ramp();
        infinite[22] = double.PositiveInfinity;
        Assert.NotNull(QuantileForecast.Problem(infinite));
        Assert.Contains("23", QuantileForecast.Problem(new double[22]));
        Assert.Null(QuantileForecast.Problem(Ramp()));
    }

    [Fact]
    public void Monotone_sorts_crossing_quantiles_and_clamps_them_at_zero()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 200; trial++)
        {
            var raw = Enumerable.Range(0, 23).Select(_ => random.NextDouble() * 20 - 5).ToArray();
            var forecast = QuantileForecast.Monotone(raw);
            Assert.Null(QuantileForecast.Problem(forecast.Values));
            Assert.All(forecast.Values, v => Assert.True(v >= 0));
            Assert.Equal(raw.Select(v => Math.Max(v, 0)).Order(), forecast.Values);
        }
        Assert.Throws<ArgumentException>(() => QuantileForecast.Monotone([.. Ramp()[..22], double.NaN]));
    }
}
